# Two hosts for the bridge's test (tests/bridge/run.sh) and benchmark (tools/bridge/bench.sh),
# sourced by both after they set $bin (the folder with memchan-bridge and memchan-bridge-peer)
# and $tag (the prefix of their lines): network namespaces A and B joined by a veth pair,
# 192.0.2.1 on A and 192.0.2.2 on B (TEST-NET-1, on no other interface: traffic stays
# between the two), removed with everything started through `start` on any exit. Where
# namespaces cannot be made it exits 77 with "TAG: NOT RUN: why".
B=$bin/memchan-bridge
P=$bin/memchan-bridge-peer
notrun() { echo "$tag: NOT RUN: $*"; exit 77; }
fail() { echo "$tag: FAILED: $*"; exit 1; }

[ -x "$B" ] && [ -x "$P" ] || notrun "memchan-bridge was not built (nng not found: scripts/install-deps installs libnng-dev)"
[ "$(id -u)" -eq 0 ] || notrun "making network namespaces needs root"
command -v ip >/dev/null 2>&1 || notrun "no ip command (iproute2)"

id=$$
na=mcbA$id nb=mcbB$id va=mcbva$id vb=mcbvb$id
pre=mcbt$id
pids=
cleanup() {
  for p in $pids; do kill -9 "$p" 2>/dev/null; done
  for p in $pids; do wait "$p" 2>/dev/null; done
  ip netns del "$na" 2>/dev/null
  ip netns del "$nb" 2>/dev/null
  rm -f /dev/shm/"$pre"*
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ip netns add "$na" 2>/dev/null || notrun "cannot make a network namespace here (ip netns add failed)"
ip netns add "$nb" || fail "ip netns add $nb"
ip link add "$va" type veth peer name "$vb" || notrun "cannot make a veth pair here"
ip link set "$va" netns "$na" && ip link set "$vb" netns "$nb" &&
  ip -n "$na" addr add 192.0.2.1/24 dev "$va" && ip -n "$nb" addr add 192.0.2.2/24 dev "$vb" &&
  ip -n "$na" link set lo up && ip -n "$nb" link set lo up &&
  ip -n "$na" link set "$va" up && ip -n "$nb" link set "$vb" up || fail "setting up the veth pair"

log=$(mktemp -d)
trap 'cleanup; rm -rf "$log"' EXIT

start() { # start NAME HOST CMD...: CMD in namespace HOST (A or B), in the background; its
  var=$1  # pid (ip execs CMD in the namespace: the same process) in $NAME
  ns=$na
  [ "$2" = B ] && ns=$nb
  shift 2
  ip netns exec "$ns" "$@" >>"$log/$var.out" 2>&1 &
  eval "$var=\$!"
  pids="$pids $!"
}
finish() { # finish PID WHAT EXPECTED_STATUS
  wait "$1"
  rc=$?
  [ "$rc" -eq "$3" ] || { tail -n 20 "$log"/*.out; fail "$2 exited $rc, $3 expected"; }
}
link() { ip -n "$na" link set "$va" "$1" || fail "ip link set $1"; }

