//! The conformance suite on every runtime configuration.

mod tokio_multi_thread {
    wrangle_conformance::conformance_suite!(wrangle_conformance::harness::TokioMultiThread);
}

mod tokio_current_thread {
    wrangle_conformance::conformance_suite!(wrangle_conformance::harness::TokioCurrentThread);
}

mod smol {
    wrangle_conformance::conformance_suite!(wrangle_conformance::harness::SmolHarness);
}

mod smol_wrapped {
    wrangle_conformance::conformance_suite!(wrangle_conformance::harness::SmolWrapped);
}

mod async_std {
    wrangle_conformance::conformance_suite!(wrangle_conformance::harness::AsyncStdHarness);
}

mod sim {
    wrangle_conformance::conformance_suite!(wrangle_conformance::harness::SimHarness);
}
