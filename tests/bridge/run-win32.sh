#!/bin/sh
# The bridge's Win32 build under Wine: both "hosts" on this one, over loopback (Wine has no
# network namespaces, so the link outages of run.sh are not played here; a bridge's death
# breaks the connection instead). Every message is checked byte for byte, in order, none
# missing or repeated (tools/bridge/peer.c, tests/msgstream.h).
#   1. 20,000 messages; the out bridge dies at its crash point (between copying a message
#      into its window and consuming it), and is killed (from outside, as SIGKILL kills a
#      Windows process under Wine) at a random one, restarted each time; the in bridge dies
#      at its two crash points (between commit and record, between record and commit) and is
#      killed from outside once, restarted each time; the end (closed) reaches the far
#      channel; the state files, in a folder given with --state-dir, are removed at the end.
#   2. an abort with its code, across, the state in the default folder (%LOCALAPPDATA%\memchan
#      \bridge), which is left empty; 3. the producer's death, across (MC_EPEERDEAD).
# On Windows the state blocks are files: a named section does not outlive its last handle.
#   usage: tests/bridge/run-win32.sh TOP BUILD     (BUILD/win32/tools/bridge has the programs)
set -u
top=$(cd "${1:?usage: run-win32.sh TOP BUILD}" && pwd) build=$(cd "${2:?}" && pwd)
bin=$build/win32/tools/bridge
tag=bridge-win32 limit=400 src=$top/tools/bridge
B=$bin/memchan-bridge.exe
P=$bin/memchan-bridge-peer.exe
on_A=wine on_B=wine
. "$src/procs.sh"
[ -f "$B" ] && [ -f "$P" ] || fail "$B is not built (the Win32 build makes it, with scripts/build-mingw-dep's nng)"
command -v wine >/dev/null 2>&1 || fail "no wine (scripts/install-deps installs it)"
export WINEPREFIX="${WINEPREFIX:-$build/wine-prefix}" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
timeout 300 "$top/scripts/wine-prefix" >/dev/null 2>&1 || fail "scripts/wine-prefix"

pre=mcbw$$
state=$log/state
mkdir -p "$state"
wstate=$(timeout 60 winepath -w "$state" 2>/dev/null) || fail "winepath"
port=$((20000 + $$ % 20000))
peer() { timeout 120 wine "$P" "$@" </dev/null; }
# A Windows process under Wine is a Linux process of its own, started by wine's launcher:
# killed by its command line, as a task manager would.
killmatch() {
  for d in /proc/[0-9]*; do
    case $(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) in
      *"$1"*) kill -9 "${d#/proc/}" 2>/dev/null ;;
    esac
  done
}
dies() { # dies PID WHAT: the bridge died at its crash point (status 137, as SIGKILL's)
  reap "$1"
  rc=$?
  [ "$rc" -eq 137 ] || fail "$2 exited $rc, not at its crash point"
}
t0=$(date +%s)

# ---- 1: 20,000 messages through deaths at every crash point and from outside ----
N=20000
url=tcp://127.0.0.1:$port
sd="--state-dir $wstate"
start cons B "$P" consume "$pre-dst" $N 1 200 --progress "$pre-prog" --expect closed
start bin_ B MEMCHAN_BRIDGE_DIE=in-committed:6000 "$B" in "$url" "$pre-dst" $sd --linger 500
start bout A MEMCHAN_BRIDGE_DIE=out-copied:2000 "$B" out "$pre-src" "$url" $sd --window 64
start prod A "$P" produce "$pre-src" $N 1 200
start hold A "$P" hold "$pre-src"

dies "$bout" "the out bridge"
start bout A "$B" out "$pre-src" "$url" $sd --window 64 --stats 5
echo "bridge-win32: out bridge died between copy and consume (message 2000), restarted"
# kill_at COUNT NAME CMDLINE...: once COUNT messages arrived, the bridge in $NAME is killed
# from outside and CMDLINE (on its host) started in its place.
kill_at() {
  count=$1 name=$2
  shift 2
  peer wait "$pre-prog" "$count" 60000 || fail "$count messages did not arrive"
  eval "victim=\$$name"
  case $name in bout) killmatch "memchan-bridge.exe out $pre-src" ;; *) killmatch "memchan-bridge.exe in $url $pre-dst" ;; esac
  reap "$victim" 2>/dev/null
  start "$name" "$@"
}
kill_at 4000 bout A "$B" out "$pre-src" "$url" $sd --window 64 --stats 5
echo "bridge-win32: out bridge killed at 4000+, restarted"

dies "$bin_" "the in bridge"
start bin_ B MEMCHAN_BRIDGE_DIE=in-pending:9000 "$B" in "$url" "$pre-dst" $sd --linger 500
echo "bridge-win32: in bridge died between commit and record (message 6000), restarted"
dies "$bin_" "the in bridge"
start bin_ B "$B" in "$url" "$pre-dst" $sd --linger 500
echo "bridge-win32: in bridge died between record and commit (message 9000), restarted"
kill_at 12000 bin_ B "$B" in "$url" "$pre-dst" $sd --linger 500 --stats 5
echo "bridge-win32: in bridge killed at 12000+, restarted"

peer wait "$pre-prog" $N 120000 || fail "$N messages did not arrive"
finish "$cons" "the consumer" 0
finish "$prod" "the producer" 0
finish "$bout" "the out bridge" 0
finish "$bin_" "the in bridge" 0
killmatch "memchan-bridge-peer.exe hold $pre-src"
reap "$hold" 2>/dev/null
recovery_said 2000 6000 9000
left=$(ls "$state")
[ -z "$left" ] || fail "state files left after the end: $left"
echo "bridge-win32: $N messages across 3 out and 4 in bridges (crash points and kills): each exactly once, in order, end closed; state files removed ($(($(date +%s) - t0)) s)"

# ---- 2: an abort, and its code, across; the state in the default folder ----
url=tcp://127.0.0.1:$((port + 1))
appdata=$(timeout 60 winepath -u "$(timeout 60 wine cmd /c echo %LOCALAPPDATA% 2>/dev/null |
          tr -d '\r')" 2>/dev/null)
across 2 "$url" 3000 2000 aborted:42 0 --abort 42
[ -n "$appdata" ] && [ -d "$appdata/memchan/bridge" ] ||
  fail "no default state folder (LOCALAPPDATA/memchan/bridge: $appdata)"
for f in "$pre-src2.bridge-out" "$pre-dst2.bridge-in"; do
  [ ! -e "$appdata/memchan/bridge/$f.mcblk" ] || fail "state file $f.mcblk left after the end"
done
printf '%s\n' "bridge-win32: 3000 messages and an abort with code 42 across (state in %LOCALAPPDATA%\\memchan\\bridge, removed)"

# ---- 3: the producer's death, across ----
url=tcp://127.0.0.1:$((port + 2))
across 3 "$url" 2000 100 peerdead 3 --die
echo "bridge-win32: 2000 messages and the producer's death across (MC_EPEERDEAD)"
echo "bridge-win32: all passed in $(($(date +%s) - t0)) s"
