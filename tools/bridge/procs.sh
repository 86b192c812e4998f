# The processes of the bridge's test and benchmark scripts, sourced by tools/bridge/hosts.sh
# (two network namespaces) and tests/bridge/run-win32.sh (one host, under Wine) after they
# set $tag (the prefix of their lines), $limit (seconds for the whole run) and $on_A / $on_B
# (the command that runs a program on host A or B). Everything started through `start` is
# killed on any exit, and `host_cleanup` (the sourcing script's) runs after.
notrun() { echo "$tag: NOT RUN: $*"; exit 77; }
fail() { # what each process said, then the verdict
  for f in "$log"/*.out; do [ -f "$f" ] && { echo "--- ${f##*/}"; tail -n 20 "$f"; }; done
  echo "$tag: FAILED: $*"
  exit 1
}
host_cleanup() { :; }

pids= dog=
log=$(mktemp -d)
cleanup() {
  [ -n "$dog" ] && kill -TERM "$dog" 2>/dev/null # it stops its sleep (below)
  for p in $pids; do kill -9 "$p" 2>/dev/null; done
  for p in $pids; do wait "$p" 2>/dev/null; done
  host_cleanup
  rm -rf "$log"
}
# reap PID: waits for it (its status in $?) and forgets it, so that the cleanup never kills
# another process that was given the same pid since.
reap() {
  wait "$1"
  r=$?
  kept=
  for q in $pids; do [ "$q" = "$1" ] || kept="$kept $q"; done
  pids=$kept
  return $r
}
trap cleanup EXIT
trap 'exit 1' INT HUP
# The whole run's time limit: a step that hangs fails, showing what each process said,
# instead of stopping make test.
timed_out() {
  echo "$tag: FAILED: no end within $limit s; the processes started, and what each said:"
  for p in $pids; do
    [ -r "/proc/$p/cmdline" ] && echo "  alive: $p $(tr '\0' ' ' <"/proc/$p/cmdline")"
  done
  for f in "$log"/*.out; do echo "--- ${f##*/}"; tail -n 15 "$f"; done
  exit 1
}
trap timed_out TERM
( trap 'kill "$s" 2>/dev/null; exit 0' TERM
  sleep "$limit" &
  s=$!
  wait "$s" && kill -TERM $$ ) >/dev/null 2>&1 &
dog=$!

start() { # start NAME HOST [VAR=VALUE ...] CMD...: CMD on HOST (A or B), in the background,
  var=$1  # with those variables in its environment, its output in $log/NAME.out; its pid
  on=$on_A # (env and the launcher exec CMD: the same process) in $NAME
  [ "$2" = B ] && on=$on_B
  shift 2
  envs=
  while [ $# -gt 0 ]; do
    case $1 in *=*) envs="$envs $1"; shift ;; *) break ;; esac
  done
  env $envs $on "$@" >>"$log/$var.out" 2>&1 &
  eval "$var=\$!"
  pids="$pids $!"
}
finish() { # finish PID WHAT EXPECTED_STATUS
  reap "$1"
  rc=$?
  [ "$rc" -eq "$3" ] || fail "$2 exited $rc, $3 expected"
}
# across SUFFIX URL N MAX EXPECT IN_STATUS PRODUCER_FLAG...: a short stream of N messages
# (1 to MAX bytes) from a producer on A to a consumer on B through a new pair of bridges,
# ended as the producer's flags say: the consumer must see EXPECT, the in bridge exit with
# IN_STATUS. Needs $B, $P and $pre (the names' prefix) of the sourcing script.
across() {
  sfx=$1 url=$2 n=$3 max=$4 expect=$5 instatus=$6
  shift 6
  start cons B "$P" consume "$pre-dst$sfx" "$n" 1 "$max" --expect "$expect"
  start bin_ B "$B" in "$url" "$pre-dst$sfx" --linger 500
  start bout A "$B" out "$pre-src$sfx" "$url"
  start prod A "$P" produce "$pre-src$sfx" "$n" 1 "$max" "$@"
  finish "$prod" "the producer ($expect)" 0
  finish "$cons" "the consumer ($expect)" 0
  finish "$bout" "the out bridge ($expect)" 0
  finish "$bin_" "the in bridge ($expect)" "$instatus"
}
# recovery_said OUT_SEQ COMMITTED_SEQ PENDING_SEQ: shows what the bridges (bout, bin_) and
# the consumer (cons) said, and checks that each crash point's recovery was told.
recovery_said() {
  sed 's/^/  /' "$log/bout.out" "$log/bin_.out"
  cat "$log/cons.out"
  for m in "message $1 was in the window already" "resuming stream"; do
    grep -q "$m" "$log/bout.out" || fail "the out bridge's recovery did not say: $m"
  done
  for m in "message $2 was committed by the bridge before us" \
           "message $3 was not committed by the bridge before us"; do
    grep -q "$m" "$log/bin_.out" || fail "the in bridge's recovery did not say: $m"
  done
}
