#!/bin/sh
# The bridge across two hosts, simulated: two network namespaces joined by a veth pair,
# host A (producer, out bridge) and host B (in bridge, consumer). Every message is checked
# byte for byte, in order, none missing or repeated (tools/bridge/peer.c, tests/msgstream.h).
#   1. 1,000,000 messages; the out bridge dies at its crash point (between copying a message
#      into its window and consuming it) and is killed (SIGKILL) at a random one, and
#      restarted each time; the in bridge dies at its two (between commit and record, and
#      between record and commit); the link goes down, the in bridge is killed and
#      restarted meanwhile, the link comes back (the out side's connection is reset and it
#      reconnects); the link goes down and up again alone; the end of the stream (closed)
#      reaches the far channel.
#   2. an abort with its code, across; 3. the producer's death, across (MC_EPEERDEAD).
# Traffic goes only between the two namespaces' own addresses (192.0.2.1 and .2, TEST-NET-1,
# on the veth pair made here; the namespaces have no other interface). Exit 77 ("NOT RUN")
# where namespaces cannot be made (not root, no ip, no netns support).
# The whole run has a time limit (300 s; it takes about 15): a step that hangs fails, and
# says which processes were alive and what each said (tools/bridge/procs.sh).
#   usage: tests/bridge/run.sh BUILD_DIR        (BUILD_DIR/tools/bridge has the programs)
set -u
bin=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)/tools/bridge
tag=bridge limit=300 src=$(cd "$(dirname "$0")/../../tools/bridge" && pwd)
. "$src/hosts.sh"

t0=$(date +%s)

# ---- 1: a million messages through deaths, a reset connection and link outages ----
N=1000000
url=tcp://192.0.2.2:5601
dies() { # dies PID WHAT: the bridge died at its crash point (SIGKILL: status 137)
  reap "$1"
  rc=$?
  [ "$rc" -eq 137 ] || fail "$2 exited $rc, not at its crash point"
}
start cons B "$P" consume "$pre-dst" $N 1 200 --progress "$pre-prog" --expect closed
# The in bridge dies right after a commit, before recording it (message 300000), and the
# next right after recording a commit as under way, before making it (message 400000).
start bin_ B MEMCHAN_BRIDGE_DIE=in-committed:300000 "$B" in "$url" "$pre-dst" --linger 200 --stats 2
# The out bridge dies after copying message 100000 into its window, before consuming it.
start bout A MEMCHAN_BRIDGE_DIE=out-copied:100000 "$B" out "$pre-src" "$url" --window 256 --stats 2
start prod A "$P" produce "$pre-src" $N 1 200
# What the producer committed must outlive it and a killed out bridge: hold the channel.
start hold A "$P" hold "$pre-src"

dies "$bout" "the out bridge"
start bout A "$B" out "$pre-src" "$url" --window 256 --stats 2
echo "bridge: out bridge died between copy and consume (message 100000), restarted"

"$P" wait "$pre-prog" 200000 30000 || fail "200000 messages did not arrive"
kill -9 "$bout"; reap "$bout" 2>/dev/null
start bout A "$B" out "$pre-src" "$url" --window 256 --stats 2
echo "bridge: out bridge killed at 200000+, restarted"

dies "$bin_" "the in bridge"
start bin_ B MEMCHAN_BRIDGE_DIE=in-pending:400000 "$B" in "$url" "$pre-dst" --linger 200 --stats 2
echo "bridge: in bridge died between commit and record (message 300000), restarted"
dies "$bin_" "the in bridge"
start bin_ B "$B" in "$url" "$pre-dst" --linger 200 --stats 2
echo "bridge: in bridge died between record and commit (message 400000), restarted"

"$P" wait "$pre-prog" 450000 30000 || fail "450000 messages did not arrive"
link down
# The window fills: nothing is acknowledged across a dead link.
"$P" window "$pre-src.bridge-out" 256 20000 || fail "the out bridge's window did not fill with the link down"
kill -9 "$bin_"; reap "$bin_" 2>/dev/null
start bin_ B "$B" in "$url" "$pre-dst" --linger 200 --stats 2
link up
echo "bridge: link down, window full, in bridge killed and restarted, link up (connection reset)"

"$P" wait "$pre-prog" 750000 60000 || fail "750000 messages did not arrive"
link down
"$P" window "$pre-src.bridge-out" 256 20000 || fail "the window did not fill with the link down"
link up
echo "bridge: link down (window full) and up again"

"$P" wait "$pre-prog" $N 60000 || fail "$N messages did not arrive"
finish "$cons" "the consumer" 0
finish "$prod" "the producer" 0
finish "$bout" "the out bridge" 0
finish "$bin_" "the in bridge" 0
kill "$hold"
reap "$hold" 2>/dev/null
recovery_said 100000 300000 400000
grep -q "connections lost" "$log/bin_.out" || fail "no stats from the in bridge"
grep -q "connections lost" "$log/bout.out" || fail "no stats from the out bridge"
for s in "$pre-src.bridge-out" "$pre-dst.bridge-in"; do
  [ ! -e "/dev/shm/$s" ] || fail "state block $s was left after the end"
done
echo "bridge: $N messages across 3 out and 4 in bridges, a reset connection and 2 link outages: each exactly once, in order, end closed ($(($(date +%s) - t0)) s)"

# ---- 2: an abort, and its code, across ----
url=tcp://192.0.2.2:5602
across 2 "$url" 20000 2000 aborted:42 0 --abort 42
echo "bridge: 20000 messages and an abort with code 42 across"

# ---- 3: the producer's death, across ----
url=tcp://192.0.2.2:5603
across 3 "$url" 5000 100 peerdead 3 --die
echo "bridge: 5000 messages and the producer's death across (MC_EPEERDEAD)"
# ---- 4: an in bridge that fails does not end the far stream ----
# It opens its channel, then cannot listen (an address that is not B's): it exits 1, and the
# consumer must not take that for the end - the next in bridge carries the whole stream.
url=tcp://192.0.2.2:5604
start cons B "$P" consume "$pre-dst4" 3000 1 100 --expect closed
start bin_ B "$B" in tcp://192.0.2.99:5604 "$pre-dst4" --linger 500
finish "$bin_" "the in bridge that cannot listen" 1
start bin_ B "$B" in "$url" "$pre-dst4" --linger 500
start bout A "$B" out "$pre-src4" "$url"
start prod A "$P" produce "$pre-src4" 3000 1 100
finish "$prod" "the producer (after a failed in bridge)" 0
finish "$cons" "the consumer (after a failed in bridge)" 0
finish "$bout" "the out bridge (after a failed in bridge)" 0
finish "$bin_" "the in bridge (after a failed one)" 0
echo "bridge: an in bridge that failed to listen left the far stream open; the next carried all 3000 messages"
# ---- 5: a connection that stays open and says nothing does not lock the in bridge out ----
# A peer that vanished without its connection being closed (a host that lost power) leaves
# it half open; a silent pair0 peer that stays connected plays it. The out bridge that
# comes next must be let in.
url=tcp://192.0.2.2:5605
start cons B "$P" consume "$pre-dst5" 3000 1 100 --expect closed
start bin_ B "$B" in "$url" "$pre-dst5" --linger 500
start zomb A "$P" silent "$url" "$pre-zomb"
"$P" wait "$pre-zomb" 1 10000 || fail "the silent connection was not made"
start bout A "$B" out "$pre-src5" "$url"
start prod A "$P" produce "$pre-src5" 3000 1 100
finish "$prod" "the producer (a silent connection)" 0
finish "$cons" "the consumer (a silent connection)" 0
finish "$bout" "the out bridge (a silent connection)" 0
finish "$bin_" "the in bridge (a silent connection)" 0
finish "$zomb" "the silent connection (closed by the in bridge)" 0
echo "bridge: 3000 messages past a connection that stayed open and silent (the in bridge closed it)"
# ---- 6: an out bridge whose far side went silent dials again ----
# The listener at the URL accepts the connection and never answers (an in side that
# vanished without closing it): the out bridge must drop it (5 s) and, once a real in bridge
# listens there, carry the whole stream.
url=tcp://192.0.2.2:5606
start zomb B "$P" silent "$url" "$pre-zomb6" --listen
start bout A "$B" out "$pre-src6" "$url"
start prod A "$P" produce "$pre-src6" 3000 1 100
start hold A "$P" hold "$pre-src6"
"$P" wait "$pre-zomb6" 2 20000 || fail "the out bridge kept a silent connection"
kill -9 "$zomb"; reap "$zomb" 2>/dev/null
start cons B "$P" consume "$pre-dst6" 3000 1 100 --expect closed
start bin_ B "$B" in "$url" "$pre-dst6" --linger 500
finish "$prod" "the producer (a silent far side)" 0
finish "$cons" "the consumer (a silent far side)" 0
finish "$bout" "the out bridge (a silent far side)" 0
finish "$bin_" "the in bridge (after a silent one)" 0
kill "$hold"
reap "$hold" 2>/dev/null
grep -q "no word from the far side" "$log/bout.out" || fail "the out bridge did not say why it dropped the connection"
echo "bridge: an out bridge dropped a silent connection and carried all 3000 messages to the next in bridge"
echo "bridge: all passed in $(($(date +%s) - t0)) s"
