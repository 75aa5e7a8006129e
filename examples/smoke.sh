#!/usr/bin/env bash
# Smoke test for the examples: runs every example on every runtime (real ones scaled down,
# sim exact) and fails if any example's own figure check fails. Well under a minute once built.
set -euo pipefail
cd "$(dirname "$0")/.."

SCALE="${SCALE:-0.02}"
TARGET="${CARGO_TARGET_DIR:-target}"
EXAMPLES=(showcase fanout failures bulk retry flow)
# crawler.rs talks real HTTP on 127.0.0.1, so it runs on the real runtimes only.
[[ -f examples/crawler.rs ]] && EXAMPLES+=(crawler)

cargo build --quiet --features full $(printf -- '--example %s ' "${EXAMPLES[@]}")
failed=()
for ex in "${EXAMPLES[@]}"; do
    start=$SECONDS
    scale="$SCALE"
    # Real sockets and a thread per connection (crawler), and spacing checks with 10 ms of real
    # slack (flow, crawler): not below 0.1 (1 scenario second = 100 ms).
    [[ $ex == crawler || $ex == flow ]] && scale=$(awk -v s="$SCALE" 'BEGIN { print (s < 0.1 ? 0.1 : s) }')
    # The binaries directly, not `cargo run`: no waiting on the build lock of other builds.
    if "$TARGET/debug/examples/$ex" --scale "$scale" >"$TARGET/smoke-$ex.log" 2>&1; then
        echo "smoke: $ex ok in $((SECONDS - start)) s"
    else
        echo "smoke: $ex FAILED in $((SECONDS - start)) s; its output:"
        cat "$TARGET/smoke-$ex.log"
        failed+=("$ex")
    fi
done
if ((${#failed[@]})); then
    echo "smoke: ${#failed[@]} example(s) failed: ${failed[*]}"
    exit 1
fi
echo "smoke: all ${#EXAMPLES[@]} examples passed their checks"
