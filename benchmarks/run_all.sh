#!/usr/bin/env bash
# Runs every benchmark in turn; each Markdown table goes to $RESULTS_DIR/<name>.md
# (default /tmp/matcalc-bench) and the load average before each is printed.
#   bash benchmarks/run_all.sh            (about 12 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${RESULTS_DIR:-/tmp/matcalc-bench}"
mkdir -p "$out"
for bench in bench_autodiff bench_grad bench_scaling bench_verify bench_catalogue_load; do
  echo "== $bench (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  args=()
  [ "$bench" = bench_scaling ] && args=(--profile)
  python3 "benchmarks/$bench.py" "${args[@]}" > "$out/$bench.md"
done
echo "results in $out/" >&2
