#!/usr/bin/env bash
# Benchmark of `summarize` on generated 1 GiB logs in the page cache, beside `rg -c` and
# `zcat | rg -c` timed in the same run (so machine load weighs on both alike):
# - the live atlassian-jira.log, sparse (1% PAT lines) and dense (25%): read in regions;
# - a gzipped rotated set (the sparse log cut into 20 MiB backups, each gzipped).
# `rg -c` searches the scanner's own prefilter literals. Not part of the test suite.
#
#   benches/scan.sh                               # 1 GiB each, every core
#   SIZE_MIB=256 benches/scan.sh
#   BIN=/tmp/jira-patrol-before benches/scan.sh   # another build, e.g. before a change
#   ARGS='--threads 1' benches/scan.sh            # extra summarize arguments
#   RUNS=5 benches/scan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BENCH_DIR:-target/bench-logs}
size=${SIZE_MIB:-1024}
runs=${RUNS:-3}
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
fi
bin=${BIN:-target/release/jira-patrol}
# shellcheck disable=SC2206
args=(${ARGS:-})
literals=(-F -e pats. -e TokenBasedAuthenticationFilter -e LastAccessedTimeBatcher)
if ! command -v rg >/dev/null; then
  echo "rg not installed (apt-get install ripgrep): no baseline" >&2
  exit 1
fi

secs() { awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }' <<<"$1"; }
now() { date +%s.%N; }

# summarize LABEL BYTES BASELINE_SECONDS PATH...: one line per run, its ratio to the baseline.
summarize() {
  local label=$1 bytes=$2 base=$3
  shift 3
  for run in $(seq "$runs"); do
    /usr/bin/time -v "$bin" summarize "$@" "${args[@]}" --tz UTC --format json >/dev/null 2>"$dir/time.txt"
    wall=$(secs "$(grep 'Elapsed (wall clock)' "$dir/time.txt" | awk '{print $NF}')")
    rss=$(grep 'Maximum resident set size' "$dir/time.txt" | awk '{print $NF}')
    user=$(grep 'User time' "$dir/time.txt" | awk '{print $NF}')
    sys=$(grep 'System time' "$dir/time.txt" | awk '{print $NF}')
    awk -v l="$label" -v b="$bytes" -v w="$wall" -v r="$rss" -v n="$run" -v base="$base" -v u="$user" -v s="$sys" \
      'BEGIN { printf "  %s run %d: %.2f s (user %.2f, sys %.2f), %.2f GB/s, max RSS %.1f MiB, %.2fx the baseline\n", l, n, w, u, s, b/w/1e9, r/1024, w/base }'
  done
}

# timed CMD...: wall seconds of a shell pipeline, best of two.
timed() {
  local best=""
  for _ in 1 2; do
    s=$(now)
    bash -c "$1" >/dev/null
    e=$(now)
    best=$(awk -v s="$s" -v e="$e" -v b="$best" 'BEGIN { t=e-s; if (b=="" || t<b) print t; else print b }')
  done
  echo "$best"
}

echo "load: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc), bin: $bin ${args[*]}"
for regime in sparse:0.01 dense:0.25; do
  name=${regime%%:*}
  share=${regime##*:}
  log=$dir/$name-$size/atlassian-jira.log
  if [ ! -f "$log" ]; then
    cargo bench --quiet --bench genlog -- "$log" "$size" "$share" | sed -n 1p
  fi
  bytes=$(stat -c %s "$log")
  cat "$log" >/dev/null
  echo "== $name live log: $(numfmt --to=iec "$bytes") ($log)"
  base=$(timed "rg -c ${literals[*]} '$log'")
  awk -v b="$bytes" -v t="$base" 'BEGIN { printf "  rg -c (the literals):  %.2f s, %.2f GB/s\n", t, b/t/1e9 }'
  summarize "jira-patrol" "$bytes" "$base" "$log"
done

# The gzipped rotated set: the sparse log in 20 MiB backups, oldest the highest number.
set_dir=$dir/gz-$size
if [ ! -f "$set_dir/done" ]; then
  mkdir -p "$set_dir"
  split -C 20M -d -a 3 "$dir/sparse-$size/atlassian-jira.log" "$set_dir/part."
  parts=("$set_dir"/part.*)
  n=${#parts[@]}
  for p in "${parts[@]}"; do
    i=$((n - 10#${p##*.}))
    gzip -c "$p" >"$set_dir/atlassian-jira.log.$i.gz"
    rm "$p"
  done
  touch "$set_dir/done"
fi
gz=("$set_dir"/atlassian-jira.log.*.gz)
zbytes=$(cat "${gz[@]}" | wc -c)
cat "${gz[@]}" >/dev/null
echo "== gzipped rotated set: ${#gz[@]} files, $(numfmt --to=iec "$zbytes") compressed ($set_dir)"
base=$(timed "zcat $set_dir/atlassian-jira.log.*.gz | rg -c ${literals[*]}")
awk -v t="$base" 'BEGIN { printf "  zcat | rg -c:          %.2f s\n", t }'
summarize "jira-patrol" "$zbytes" "$base" "$set_dir"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
