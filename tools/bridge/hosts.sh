# Two hosts for the bridge's test (tests/bridge/run.sh) and benchmark (tools/bridge/bench.sh),
# sourced by both after they set $bin (the folder with memchan-bridge and memchan-bridge-peer),
# $src (this folder), $tag (the prefix of their lines) and $limit (seconds for the whole
# run): network namespaces A and B joined by a veth pair, 192.0.2.1 on A and 192.0.2.2 on B
# (TEST-NET-1, on no other interface: traffic stays between the two), removed with
# everything started through `start` (procs.sh) on any exit. Where namespaces cannot be made
# it exits 77 with "TAG: NOT RUN: why".
B=$bin/memchan-bridge
P=$bin/memchan-bridge-peer
id=$$
na=mcbA$id nb=mcbB$id va=mcbva$id vb=mcbvb$id
pre=mcbt$id
on_A="ip netns exec $na" on_B="ip netns exec $nb"
. "$src/procs.sh"
host_cleanup() {
  ip netns del "$na" 2>/dev/null
  ip netns del "$nb" 2>/dev/null
  rm -f /dev/shm/"$pre"*
}

[ -x "$B" ] && [ -x "$P" ] || notrun "memchan-bridge was not built (nng not found: scripts/install-deps installs libnng-dev)"
[ "$(id -u)" -eq 0 ] || notrun "making network namespaces needs root"
command -v ip >/dev/null 2>&1 || notrun "no ip command (iproute2)"

ip netns add "$na" 2>/dev/null || notrun "cannot make a network namespace here (ip netns add failed)"
ip netns add "$nb" || fail "ip netns add $nb"
ip link add "$va" type veth peer name "$vb" || notrun "cannot make a veth pair here"
ip link set "$va" netns "$na" && ip link set "$vb" netns "$nb" &&
  ip -n "$na" addr add 192.0.2.1/24 dev "$va" && ip -n "$nb" addr add 192.0.2.2/24 dev "$vb" &&
  ip -n "$na" link set lo up && ip -n "$nb" link set lo up &&
  ip -n "$na" link set "$va" up && ip -n "$nb" link set "$vb" up || fail "setting up the veth pair"

link() { ip -n "$na" link set "$va" "$1" || fail "ip link set $1"; }
