#!/usr/bin/env bash
# Times of the release build on the hostile inputs of issue 22, which tests/hostile.rs only
# bounds (in CPU time and peak memory, with a wide margin, on the unoptimised test build):
# a FIFO and /dev/zero refused, `rotation show` on 20,000 appenders, a 64 MiB one-value
# properties file and a 1 GiB NUL file as --log4j-config, a million requests that never
# end, a million random failed token ids, 20,000 empty rotated files. Wall time and max RSS
# from /usr/bin/time -v, one core. Not part of the test suite.
#
#   benches/hostile.sh
#   BIN=/tmp/jira-patrol-before benches/hostile.sh   # another build, e.g. main before the fix
#   LIMIT=30 benches/hostile.sh                      # give up on a case after 30 s (default 120)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BENCH_DIR:-target/bench-hostile}
limit=${LIMIT:-120}
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
fi
bin=$(realpath "${BIN:-target/release/jira-patrol}")
mkdir -p "$dir"
dir=$(realpath "$dir")

# One case: its wall time, max RSS and exit status, or that it was given up.
measure() {
  local name=$1
  shift
  local status=0
  timeout "$limit" /usr/bin/time -v taskset -c 0 "$@" >/dev/null 2>"$dir/time.txt" || status=$?
  if [ "$status" = 124 ]; then
    printf '  %-46s gave up after %s s\n' "$name" "$limit"
    return
  fi
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$dir/time.txt" | awk '{print $NF}' |
    awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep 'Maximum resident set size' "$dir/time.txt" | awk '{print $NF}')
  local said
  said=$(grep -v -e '^\s' -e 'Command' "$dir/time.txt" | grep -m1 -e '^error' -e '^warning' | cut -c1-90 || true)
  awk -v n="$name" -v w="$wall" -v r="$rss" -v s="$status" -v m="$said" \
    'BEGIN { printf "  %-46s %7.2f s %8.1f MiB  exit %s  %s\n", n, w, r / 1024, s, m }'
}

line() { # ts thread rid category message
  printf '%s %s TRACE anonymous %s - 10.0.0.9 /rest/api/2/myself [%s] %s\n' "$@"
}

echo "== inputs in $dir (generated once)"
[ -p "$dir/fifo" ] || mkfifo "$dir/fifo"
if [ ! -f "$dir/log4j2.xml" ]; then
  awk 'BEGIN { print "<Configuration><Appenders>";
    for (i = 0; i < 20000; i++)
      printf "<RollingFile name=\"a%d\" fileName=\"f%d.log\" filePattern=\"f%d.%%i\"><Policies><SizeBasedTriggeringPolicy size=\"20MB\"/></Policies><DefaultRolloverStrategy max=\"10\"/></RollingFile>\n", i, i, i;
    print "</Appenders></Configuration>" }' >"$dir/log4j2.xml"
  awk 'BEGIN { for (i = 0; i < 20000; i++)
      printf "log4j.appender.a%d=org.apache.log4j.RollingFileAppender\nlog4j.appender.a%d.File=f%d.log\nlog4j.appender.a%d.MaxFileSize=20MB\nlog4j.appender.a%d.MaxBackupIndex=10\n", i, i, i, i, i }' >"$dir/log4j.properties"
  { printf 'log4j.appender.filelog.File='; head -c $((64 << 20)) /dev/zero | tr '\0' x; echo; } >"$dir/one-value.properties"
  truncate -s 1G "$dir/nul.xml"
  awk 'BEGIN { for (i = 0; i < 1000000; i++)
      printf "2022-10-11 15:04:0%d,%03d+0000 http-nio-8080-exec-%d TRACE anonymous %dx1x1 - 10.0.0.9 /rest/api/2/myself [c.a.pats.service.DefaultTokenAuthenticationService] Got tokenId: [355510638677] from token\n", int(i * 5 / 1000000), i % 1000, i % 200, i }' >"$dir/never-ending.log"
  # Two halves: awk's %d stops at 2^31 in some awks (mawk).
  awk 'BEGIN { srand(22); for (i = 0; i < 1000000; i++)
      printf "2022-10-11 15:%02d:09,202+0000 http-nio-8080-exec-%d TRACE anonymous %dx2x1 - 10.0.0.9 /rest/api/2/myself [c.a.p.web.filter.TokenBasedAuthenticationFilter] Auth failure: [Authentication failed for token with ID: %06d%06d]\n", int(i * 60 / 1000000), i % 200, i, int(rand() * 1000000), int(rand() * 1000000) }' >"$dir/random-ids.log"
  mkdir -p "$dir/empty-rotated"
  (cd "$dir/empty-rotated" && : >atlassian-jira.log && seq 1 20000 | sed 's/^/atlassian-jira.log./' | xargs touch)
fi

echo "== $bin"
measure "FIFO with no writer" "$bin" summarize "$dir/fifo"
measure "/dev/zero" "$bin" summarize /dev/zero
measure "rotation show, 20,000 appenders (log4j2.xml)" "$bin" rotation show --log4j-config "$dir/log4j2.xml"
measure "rotation show, 20,000 appenders (properties)" "$bin" rotation show --log4j-config "$dir/log4j.properties"
measure "64 MiB one-value log4j.properties" "$bin" rotation show --log4j-config "$dir/one-value.properties"
measure "1 GiB of NUL as --log4j-config" "$bin" rotation show --log4j-config "$dir/nul.xml"
measure "1,000,000 requests that never end" "$bin" summarize "$dir/never-ending.log" --format json
measure "1,000,000 random failed token ids" "$bin" summarize "$dir/random-ids.log" --format json
measure "20,000 empty rotated files" "$bin" summarize "$dir/empty-rotated" --format json
