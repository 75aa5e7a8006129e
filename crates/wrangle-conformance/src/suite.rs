/// Instantiates every case of the conformance suite as a `#[test]` for a [`Harness`].
///
/// Call it inside a module named for the runtime, so the tests read `smol::drop_cancels`.
///
/// [`Harness`]: crate::Harness
#[macro_export]
macro_rules! conformance_suite {
    ($harness:ty) => {
        $crate::__conformance_cases! { $harness;
            spawn_and_await_value,
            drop_cancels_within_bounded_time,
            detach_keeps_running,
            abort_joins_cancelled,
            awaited_cancel_returns_once_gone,
            panic_reraised_at_await,
            join_gives_panic_payload,
            runtime_survives_task_panic,
            spawn_blocking_value,
            spawn_blocking_panic,
            spawn_blocking_dropped_result_discarded,
            sleep_never_returns_early,
            sleep_inside_task,
            sleep_until_past_is_immediate,
            sleep_duration_max_never_panics,
            sleep_until_far_future_never_completes,
            timeout_at_far_future_returns_value,
            now_is_monotonic,
            interval_ticks_without_drift,
            interval_rejects_zero_period,
            random_u64_varies,
            block_on_returns_value,
            block_on_nested_in_block_on_errors,
            block_on_nested_in_task_errors,
            ten_thousand_tasks_finish,
            shutdown_refuses_and_cancels,
            shutdown_inside_own_task_returns_promptly,
            dyn_runtime_round_trip,
            auto_traits,
            gather_keeps_input_order,
            gather_limit_bounds_concurrency,
            gather_polls_every_woken_child,
            try_gather_drops_the_rest_before_returning,
            as_completed_order_and_deadline,
            race_and_wait,
            race_leaves_losers_messages_in_their_channels,
            early_stop_never_starves_a_two_step_child,
            timeout_elapses_and_drops_inner,
            timeout_zero_lets_ready_future_win,
            timeout_duration_max_is_never,
            timeout_fires_when_inner_exhausts_budget,
            retry_delays_follow_policy,
            retry_deadline_counts_attempt_time,
            retry_attempt_timeout_drops_attempt,
            retry_tiny_delays_yield_between_polls,
            rate_limiter_spacing,
            breaker_cooldown,
            breaker_saturates_and_ignores_stale_trials,
            owned_retry_rate_and_breaker_futures_spawn,
            group_fail_fast_cancels_siblings,
            group_collect_all_keeps_order,
            group_keeps_failures_in_time_order,
            group_failures_at_one_instant_all_kept,
            group_failure_cancels_siblings_while_not_awaited,
            local_group_failures_at_one_instant_all_kept,
            group_join_returns_after_every_child_is_gone,
            group_panic_reraised_after_siblings_gone,
            group_drop_requests_cancellation,
            group_token_cancelled_before_start,
            group_cancel_on_token_stops_workers,
            group_shutdown_grace_reports_stragglers,
            group_names_in_errors_and_current_name,
            local_group_runs_non_send_children,
            spawn_gather_order_and_limit,
            spawn_gather_drop_cancels_in_flight,
            try_spawn_gather_returns_after_rest_gone,
            spawn_gather_panic_after_rest_gone,
            shield_runs_on_after_timeout,
            cancellation_token_wakes_tasks,
            offload_limiter_caps_calls_in_flight,
            offload_limiter_holds_callers_back,
            offload_call_dropped_before_start_never_runs,
            pool_thread_cap_and_queue_bound_hold,
            block_on_from_a_blocking_job,
            two_locks_deadlock_is_seen,
            two_locks_in_one_order_finish,
            spawn_named_is_current_inside_the_task,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($harness:ty; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::cases::$case::<$harness>();
            }
        )*
    };
}
