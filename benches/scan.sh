#!/usr/bin/env bash
# Benchmark of the log scanner on generated 1 GiB logs, in two regimes: sparse (1% PAT
# lines) and dense (25%). Files are read once first so they are in the page cache; the
# scanner is pinned to one core. Compared with `rg -c` and a grep|sed|sort|uniq -c
# pipeline on the same files. Not part of the test suite.
#
#   benches/scan.sh            # 1 GiB each
#   SIZE_MIB=256 benches/scan.sh
#   BIN=/tmp/jira-patrol-before benches/scan.sh   # another build, e.g. before a change
#   ARGS=--no-mmap benches/scan.sh                # extra summarize arguments
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BENCH_DIR:-target/bench-logs}
size=${SIZE_MIB:-1024}
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
fi
bin=${BIN:-target/release/jira-patrol}
# shellcheck disable=SC2206
args=(${ARGS:-})

secs() { awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }' <<<"$1"; }

for regime in sparse:0.01 dense:0.25; do
  name=${regime%%:*}
  share=${regime##*:}
  # A rotated backup, as large logs are on disk (Jira rotates the live file at 20 MiB):
  # mapped, unless ARGS=--no-mmap. The live atlassian-jira.log is always read().
  log=$dir/$name-$size/atlassian-jira.log.1
  if [ ! -f "$log" ]; then
    cargo bench --quiet --bench genlog -- "$log" "$size" "$share" | sed -n 1p
  fi
  bytes=$(stat -c %s "$log")
  cat "$log" >/dev/null
  echo "== $name: $(numfmt --to=iec "$bytes") ($log)"
  for run in 1 2 3; do
    /usr/bin/time -v taskset -c 0 "$bin" summarize "$log" "${args[@]}" --format json >/dev/null 2>"$dir/time.txt"
    wall=$(secs "$(grep 'Elapsed (wall clock)' "$dir/time.txt" | awk '{print $NF}')")
    rss=$(grep 'Maximum resident set size' "$dir/time.txt" | awk '{print $NF}')
    awk -v b="$bytes" -v w="$wall" -v r="$rss" -v n="$run" \
      'BEGIN { printf "  jira-patrol run %d: %.2f s, %.2f GB/s, max RSS %.1f MiB\n", n, w, b/w/1e9, r/1024 }'
  done
  if command -v rg >/dev/null; then
    s=$(date +%s.%N)
    taskset -c 0 rg -c 'Auth SUCCESS for user' "$log" >/dev/null
    e=$(date +%s.%N)
    awk -v b="$bytes" -v s="$s" -v e="$e" 'BEGIN { printf "  rg -c (one literal):        %.2f s, %.2f GB/s\n", e-s, b/(e-s)/1e9 }'
  else
    echo "  rg not installed (apt-get install ripgrep)"
  fi
  s=$(date +%s.%N)
  LC_ALL=C grep -o 'Auth SUCCESS for user: \[[^]]*\] and tokenId: \[[0-9]*\]' "$log" \
    | sed -E 's/.*tokenId: \[([0-9]+)\]/\1/' | sort | uniq -c >/dev/null
  e=$(date +%s.%N)
  awk -v b="$bytes" -v s="$s" -v e="$e" 'BEGIN { printf "  grep|sed|sort|uniq -c:      %.2f s, %.2f GB/s\n", e-s, b/(e-s)/1e9 }'
done
