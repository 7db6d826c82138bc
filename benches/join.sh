#!/usr/bin/env bash
# Benchmark of the access-log join (issue 10): on a generated dense application log (25%
# PAT lines) and the matching Tomcat access log, times `summarize` without and with
# `--access-log`, pinned to one core, with max RSS from /usr/bin/time -v. The join must
# add at most 50% to the time and stay within 64 MiB. Not part of the test suite.
#
#   benches/join.sh            # 1 GiB application log
#   SIZE_MIB=256 benches/join.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BENCH_DIR:-target/bench-logs}
size=${SIZE_MIB:-1024}
cargo build --release --quiet
bin=target/release/jira-patrol

secs() { awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }' <<<"$1"; }

base=$dir/join-$size
log=$base/log/atlassian-jira.log
access=$base/install/logs/access_log.2022-10-11
if [ ! -f "$log" ] || [ ! -f "$access" ]; then
  cargo bench --quiet --bench genlog -- "$log" "$size" 0.25 42 "$access" | grep -E '^\S' | head -2
fi
cat "$log" "$access" >/dev/null
echo "== application log $(numfmt --to=iec "$(stat -c %s "$log")"), access log $(numfmt --to=iec "$(stat -c %s "$access")") ($(wc -l <"$access") lines)"

run() { # label, then summarize arguments
  local label=$1
  shift
  local best=""
  for n in 1 2 3; do
    /usr/bin/time -v taskset -c 0 "$bin" summarize "$@" --format json >"$dir/join.json" 2>"$dir/time.txt"
    wall=$(secs "$(grep 'Elapsed (wall clock)' "$dir/time.txt" | awk '{print $NF}')")
    rss=$(grep 'Maximum resident set size' "$dir/time.txt" | awk '{print $NF}')
    printf '  %-22s run %d: %.2f s, max RSS %.1f MiB\n' "$label" "$n" "$wall" "$(awk -v r="$rss" 'BEGIN{print r/1024}')"
    best=$(awk -v a="${best:-$wall}" -v b="$wall" 'BEGIN{print (b<a)?b:a}')
  done
  echo "$best"
}

without=$(run "without the join" "$log" | tee /dev/stderr | tail -1)
with=$(run "with --access-log" "$log" --access-log "$(dirname "$access")" | tee /dev/stderr | tail -1)
joined=$(python3 -c "import json;a=json.load(open('$dir/join.json'))['access_log'];print(a['joined'],'of',a['joined']+a['unjoined'],'joined')")
awk -v a="$without" -v b="$with" -v j="$joined" 'BEGIN { printf "  best of three: %.2f s without, %.2f s with: the join adds %.0f%% (%s)\n", a, b, (b-a)/a*100, j }'
