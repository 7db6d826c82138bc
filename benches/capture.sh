#!/usr/bin/env bash
# How fast the commands react, measured here and not in the tests (a loaded machine
# would fail a test on a time limit; the tests assert what happens, this prints how fast):
#   - a capture of the simulated Jira stopped by SIGINT: signal to exit (levels restored);
#   - `setup` without a terminal and without answers: start to exit (it must not prompt);
#   - a command against a Jira nobody listens on: start to exit;
# Not part of the test suite.
#
#   benches/capture.sh
#   BIN=/tmp/jira-patrol-before benches/capture.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
fi
bin=$(realpath "${BIN:-target/release/jira-patrol}")
work=$(mktemp -d)
sim_pid=
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state HOME=$work
unset JIRA_URL JIRA_TOKEN JIRA_USER JIRA_PASSWORD JIRA_HOME

now() { date +%s.%N; }
took() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.2f s", e-s }'; }
wait_for() { # wait_for DESCRIPTION COMMAND...: poll until the command succeeds (60 s cap)
  local what=$1; shift
  for _ in $(seq 600); do "$@" && return 0; sleep 0.1; done
  echo "gave up waiting for $what" >&2; exit 1
}

journaled() { find "$XDG_STATE_HOME" -type f -name '*journal*' 2>/dev/null | grep -q .; }

"$bin" sim --home "$work/sim" >"$work/sim.out" 2>&1 &
sim_pid=$!
wait_for "the simulator" grep -q "listening on" "$work/sim.out"
url=$(grep -o 'listening on [^ ]*' "$work/sim.out" | awk '{print $3}')
log=$work/sim/log/atlassian-jira.log

for run in 1 2 3; do
  JIRA_URL=$url JIRA_USER=admin JIRA_PASSWORD=admin "$bin" capture --profile pats-trace \
    --for 10m --log "$log" --no-self-check --no-inventory --format json \
    >"$work/capture.json" 2>"$work/capture.err" </dev/null &
  pid=$!
  wait_for "a journal (levels being raised)" journaled
  sleep 1 # into the window
  s=$(now)
  kill -INT "$pid"
  code=0
  wait "$pid" || code=$?
  e=$(now)
  echo "capture, SIGINT to exit (status $code) run $run: $(took "$s" "$e")"
  if journaled; then echo "  a journal is left: the levels were not all put back" >&2; exit 1; fi
done

s=$(now)
"$bin" setup --non-interactive </dev/null >/dev/null 2>&1 || true
e=$(now)
echo "setup without a terminal or answers, start to exit: $(took "$s" "$e")"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
s=$(now)
JIRA_URL=http://127.0.0.1:$port JIRA_TOKEN=MTExMTExMTExMTExOkFBQUFBQUFBQUFBQUFBQUFBQUFB \
  "$bin" level get >/dev/null 2>&1 || true
e=$(now)
echo "level get with nobody listening, start to exit: $(took "$s" "$e")"
