#!/usr/bin/env bash
# Benchmark of `summarize ssh://…` against `summarize` of the same files locally: a
# generated 1 GiB dense log (25% PAT lines, a rotated backup as large logs are on disk),
# read three times each way. Over ssh the node (here: this machine, through an sshd of
# our own on a loopback port, with throwaway keys) runs `LC_ALL=C grep -F` with the
# scanner's literals and only PAT lines cross the connection; the figures show wall time,
# the ratio to the local read, and bytes read on the node beside bytes transferred.
# Not part of the test suite. Needs /usr/sbin/sshd (Debian's openssh-server).
#
#   benches/remote.sh                 # 1 GiB
#   SIZE_MIB=256 benches/remote.sh
#   SHARE=0.01 benches/remote.sh      # sparse: 1% PAT lines
#   CIPHER=aes128-gcm@openssh.com benches/remote.sh   # as an admin's ssh_config may choose
#   BIN=/tmp/jira-patrol-before benches/remote.sh
#   PIN=1 benches/remote.sh           # node and admin machine one core each (taskset)
#
# Without PIN the node's grep and sshd share this machine's cores with the reading
# process, which a real cluster never does: the node's work runs on the node. PIN=1
# models that on a 2-core machine: sshd and what it runs (the grep) on core 1, the
# reading jira-patrol and its ssh client on core 0, and the local read on core 1 alone
# (the tool run on the node itself, one thread), so both sides have the same CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BENCH_DIR:-target/bench-logs}
size=${SIZE_MIB:-1024}
share=${SHARE:-0.25}
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
fi
bin=$(realpath "${BIN:-target/release/jira-patrol}")
name=dense
[ "$share" = 0.25 ] || name="share-$share"
log=$(realpath -m "$dir/$name-$size/atlassian-jira.log.1")
if [ ! -f "$log" ]; then
  cargo bench --quiet --bench genlog -- "$log" "$size" "$share" | sed -n 1p
fi
bytes=$(stat -c %s "$log")

# The server: keys, config and pid in a private directory, removed at the end.
work=$(mktemp -d)
sshd_pid=
cleanup() {
  [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/client_key"
cp "$work/client_key.pub" "$work/authorized_keys"
[ "$(id -u)" -eq 0 ] && mkdir -p /run/sshd
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user=$(id -un)
cat >"$work/sshd_config" <<EOF
ListenAddress 127.0.0.1:$port
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PidFile $work/sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowUsers $user
LogLevel ERROR
EOF
node_cpu=()
admin_cpu=()
local_threads=()
if [ -n "${PIN:-}" ]; then
  node_cpu=(taskset -c 1)
  admin_cpu=(taskset -c 0)
  local_threads=(--threads 1)
fi
"${node_cpu[@]}" /usr/sbin/sshd -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
sshd_pid=$!
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$work/host_key.pub")" >"$work/known_hosts"
cat >"$work/ssh_config" <<EOF
Host *
  HostName 127.0.0.1
  Port $port
  User $user
  IdentityFile $work/client_key
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile $work/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
EOF
[ -z "${CIPHER:-}" ] || echo "  Ciphers $CIPHER" >>"$work/ssh_config"
for _ in $(seq 100); do
  ssh -F "$work/ssh_config" bench-node true 2>/dev/null && break
  sleep 0.1
done
export JIRA_PATROL_SSH_COMMAND="ssh -F $work/ssh_config"

cat "$log" >/dev/null
echo "== $name: $(numfmt --to=iec "$bytes") ($log), $(nproc) cores${PIN:+, pinned: node core 1, admin core 0, local read on core 1 with one thread}"
secs() { awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }' <<<"$1"; }
best_local=999999
best_remote=999999
for run in 1 2 3; do
  for where in local remote; do
    if [ "$where" = remote ]; then
      run_as=("${admin_cpu[@]}" "$bin" summarize "ssh://bench-node$log")
    else
      run_as=("${node_cpu[@]}" "$bin" summarize "${local_threads[@]}" "$log")
    fi
    /usr/bin/time -v "${run_as[@]}" --format json >"$work/$where.json" 2>"$work/time.txt"
    wall=$(secs "$(grep 'Elapsed (wall clock)' "$work/time.txt" | awk '{print $NF}')")
    rss=$(grep 'Maximum resident set size' "$work/time.txt" | awk '{print $NF}')
    awk -v b="$bytes" -v w="$wall" -v r="$rss" -v n="$run" -v where="$where" \
      'BEGIN { printf "  %-6s run %d: %.2f s, %.2f GB/s, max RSS %.1f MiB\n", where, n, w, b/w/1e9, r/1024 }'
    if [ "$where" = local ]; then
      best_local=$(awk -v a="$best_local" -v b="$wall" 'BEGIN { print (b < a) ? b : a }')
    else
      best_remote=$(awk -v a="$best_remote" -v b="$wall" 'BEGIN { print (b < a) ? b : a }')
    fi
  done
done
# The floor: the node's greps (as summarize runs them) and the connection alone, nothing
# parsed here.
floor=999999
for run in 1 2 3; do
  /usr/bin/time -f %e "${admin_cpu[@]}" ssh -F "$work/ssh_config" bench-node \
    "LC_ALL=C grep -F -e pats. -e TokenBasedAuthenticationFilter -e LastAccessedTimeBatcher -- '$log' | LC_ALL=C grep '^[0-9]'" \
    2>"$work/time.txt" >/dev/null
  floor=$(awk -v a="$floor" -v b="$(tail -1 "$work/time.txt")" 'BEGIN { print (b < a) ? b : a }')
done
cipher=$(ssh -F "$work/ssh_config" -v bench-node true 2>&1 | sed -n 's/.*cipher: \([^ ]*\).*/\1/p' | head -1)
echo "  grep on the node piped through ssh ($cipher) alone, nothing parsed: best of three $floor s"
python3 - "$work/local.json" "$work/remote.json" <<'EOF'
import json, sys
local, remote = (json.load(open(p)) for p in sys.argv[1:3])
t = remote["coverage"]["transfer"]
pat = local["volume"]["pat_bytes"]
for d in (local, remote):
    for k in ("files", "lines", "bytes", "coverage"):
        d.pop(k, None)
same = "identical" if local == remote else "DIFFERENT"
print(f"  reports {same}; read on the node {t['read_on_nodes']/2**20:.0f} MiB, transferred {t['transferred']/2**20:.0f} MiB = {t['transferred']/pat*100:.1f}% of the PAT lines ({pat/2**20:.0f} MiB)")
EOF
awk -v l="$best_local" -v r="$best_remote" 'BEGIN { printf "  best of three: local %.2f s, over ssh %.2f s: %.2fx\n", l, r, r/l }'
