#!/usr/bin/env bash
# Smoke test for the examples: runs every example on every runtime (real ones scaled down,
# sim exact) and fails if any example's own figure check fails. Well under a minute once built.
set -euo pipefail
cd "$(dirname "$0")/.."

SCALE="${SCALE:-0.02}"
TARGET="${CARGO_TARGET_DIR:-target}"
EXAMPLES=(showcase fanout failures bulk retry flow structured offload sync deadlock)
# examples/tracing.rs needs the `tracing` feature too: built and run on its own below.
# crawler.rs talks real HTTP on 127.0.0.1, so it runs on the real runtimes only.
[[ -f examples/crawler.rs ]] && EXAMPLES+=(crawler)
# tower.rs too: a hyper server and client behind wrangle's tower layers.
[[ -f examples/tower.rs ]] && EXAMPLES+=(tower)

cargo build --quiet --features full $(printf -- '--example %s ' "${EXAMPLES[@]}")
failed=()
for ex in "${EXAMPLES[@]}"; do
    start=$SECONDS
    scale="$SCALE"
    # Real sockets and a real HTTP stack (crawler, tower), and spacing checks with 10 ms of real
    # slack (flow, crawler): not below 0.1 (1 scenario second = 100 ms).
    # S18's ten 0.01 s critical sections in a row (sync): below 0.1 each is finer than tokio's
    # 1 ms timer and the run measures the timer's rounding, not the lock.
    [[ $ex == crawler || $ex == tower || $ex == flow || $ex == sync ]] && scale=$(awk -v s="$SCALE" 'BEGIN { print (s < 0.1 ? 0.1 : s) }')
    # S13's durations are milliseconds already (50 ms calls, a 10 ms ticker): scaled far down,
    # calls end before the blocking pool sees them block, and ticks get finer than tokio's 1 ms
    # timer (offload): not below 0.5.
    [[ $ex == offload ]] && scale=$(awk -v s="$SCALE" 'BEGIN { print (s < 0.5 ? 0.5 : s) }')
    # The binaries directly, not `cargo run`: no waiting on the build lock of other builds.
    if "$TARGET/debug/examples/$ex" --scale "$scale" >"$TARGET/smoke-$ex.log" 2>&1; then
        echo "smoke: $ex ok in $((SECONDS - start)) s"
    else
        echo "smoke: $ex FAILED in $((SECONDS - start)) s; its output:"
        cat "$TARGET/smoke-$ex.log"
        failed+=("$ex")
    fi
done
# S16 on a real Ctrl-C: the example waits for SIGINT, shuts its workers down gracefully and
# checks its figures; it must exit 0 on the signal, on each real runtime.
for rt in tokio smol async-std; do
    start=$SECONDS
    log="$TARGET/smoke-ctrl-c-$rt.log"
    "$TARGET/debug/examples/structured" --runtime "$rt" --until-ctrl-c --scale 0.1 >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -q "press Ctrl-C" "$log" && break; sleep 0.1; done
    sleep 0.3
    kill -INT "$pid"
    if wait "$pid"; then
        echo "smoke: structured --until-ctrl-c on $rt ok in $((SECONDS - start)) s"
    else
        echo "smoke: structured --until-ctrl-c on $rt FAILED; its output:"
        cat "$log"
        failed+=("structured-ctrl-c-$rt")
    fi
done
# examples/tracing.rs: the `tracing` feature's spans on every runtime; its output must show
# the span tree (a retry attempt inside the named group child) and the detector naming it.
start=$SECONDS
cargo build --quiet --features full,tracing --example tracing
log="$TARGET/smoke-tracing.log"
if RUST_LOG=wrangle=debug,wrangle_blocking=warn,tracing=info "$TARGET/debug/examples/tracing" >"$log" 2>&1 \
    && grep -q 'group_child{name="fetch" index=0}:retry_attempt{attempt=2 delay_ms=50}' "$log" \
    && grep -q 'group_child="fetch"' "$log"; then
    echo "smoke: tracing ok in $((SECONDS - start)) s"
else
    echo "smoke: tracing FAILED; its output:"
    cat "$log"
    failed+=("tracing")
fi
if ((${#failed[@]})); then
    echo "smoke: ${#failed[@]} example(s) failed: ${failed[*]}"
    exit 1
fi
echo "smoke: all ${#EXAMPLES[@]} examples passed their checks"
