#!/usr/bin/env bash
# Smoke test for the examples: runs every example on every runtime (real ones scaled down,
# sim exact) and fails if any example's own figure check fails. Well under a minute once built.
set -euo pipefail
cd "$(dirname "$0")/.."

SCALE="${SCALE:-0.02}"
EXAMPLES=(showcase fanout failures bulk retry flow)
# crawler.rs talks real HTTP on 127.0.0.1, so it runs on the real runtimes only.
[[ -f examples/crawler.rs ]] && EXAMPLES+=(crawler)

cargo build --quiet --features full $(printf -- '--example %s ' "${EXAMPLES[@]}")
failed=()
for ex in "${EXAMPLES[@]}"; do
    start=$SECONDS
    if cargo run --quiet --features full --example "$ex" -- --scale "$SCALE" >"target/smoke-$ex.log" 2>&1; then
        echo "smoke: $ex ok in $((SECONDS - start)) s"
    else
        echo "smoke: $ex FAILED in $((SECONDS - start)) s; its output:"
        cat "target/smoke-$ex.log"
        failed+=("$ex")
    fi
done
if ((${#failed[@]})); then
    echo "smoke: ${#failed[@]} example(s) failed: ${failed[*]}"
    exit 1
fi
echo "smoke: all ${#EXAMPLES[@]} examples passed their checks"
