#!/bin/sh
# The bridge's throughput over a veth link between two network namespaces (tools/bridge/
# hosts.sh), against nng alone between the same two addresses, in the same run: nng
# push/pull (the target's baseline) and nng pair0 (the protocol the bridge runs on), with
# the bridge's queue and heap settings. Rounds interleave the three, one short run each,
# and the verdict is the median of the rounds' ratios (a shared host changes speed for
# minutes at a time: only measurements taken seconds apart compare). Target (docs/bridge.md):
# the bridge at least 0.8x nng push/pull's rate.
#   bridged: producer -> channel -> out bridge (A) -> TCP -> in bridge (B) -> channel -> consumer
#   nng:     nng-push (A) -> TCP -> nng-pull (B), and nng-pair-send -> nng-pair-recv
# Each receiver counts from its first message to its last one; messages carry their
# sequence numbers, checked at the far end (memchan-bridge-peer --fast).
#   usage: tools/bridge/bench.sh BUILD_DIR [ROUNDS]     (default 5 rounds)
set -u
bin=$(cd "${1:?usage: bench.sh BUILD_DIR [ROUNDS]}" && pwd)/tools/bridge
rounds=${2:-5}
tag=bridge-bench limit=$((rounds * 120 + 60)) src=$(cd "$(dirname "$0")" && pwd)
. "$src/hosts.sh"

# size:count: a few seconds of each at this machine's rates
cases="64:300000 65536:20000"
port=5700
rates=$log/rates

rate_of() { got=$(sed -n 's/.* \([0-9][0-9]*\) msg\/s.*/\1/p' "$1" | tail -n 1); }

# Each run sets $got to its receiver's msg/s. In this shell, not a subshell: the time limit's
# signal must find this shell, and the cleanup every process started.
nng_run() { # nng_run SIZE N PROTOCOL (push or pair)
  port=$((port + 1))
  tx=nng-push rx=nng-pull
  [ "$3" = pair ] && tx=nng-pair-send rx=nng-pair-recv
  : >"$log/pull.out"
  start pull B "$P" $rx "tcp://192.0.2.2:$port" "$2" "$1"
  start push A "$P" $tx "tcp://192.0.2.2:$port" "$2" "$1"
  finish "$pull" "$rx" 0
  finish "$push" "$tx" 0
  rate_of "$log/pull.out"
}

bridge_run() { # bridge_run SIZE N
  port=$((port + 1))
  url=tcp://192.0.2.2:$port
  sch=$pre-s$port dch=$pre-d$port
  : >"$log/cons.out"
  start cons B "$P" consume "$dch" "$2" "$1" "$1" --fast --expect closed
  start bin_ B "$B" in "$url" "$dch" --linger 100 --quiet
  start bout A "$B" out "$sch" "$url" --quiet
  start prod A "$P" produce "$sch" "$2" "$1" "$1" --fast
  finish "$cons" "the consumer" 0
  finish "$prod" "the producer" 0
  finish "$bout" "the out bridge" 0
  finish "$bin_" "the in bridge" 0
  rate_of "$log/cons.out"
}

r=1
while [ "$r" -le "$rounds" ]; do
  for c in $cases; do
    size=${c%%:*} n=${c##*:}
    # Which goes first turns with the rounds, so that none always has the warmer machine.
    for k in 0 1 2; do
      case $(((r + k) % 3)) in
        0) nng_run "$size" "$n" push; a=$got ;;
        1) nng_run "$size" "$n" pair; pr=$got ;;
        2) bridge_run "$size" "$n"; b=$got ;;
      esac
    done
    [ -n "$a" ] && [ -n "$pr" ] && [ -n "$b" ] || fail "a run printed no rate (round $r, $size B)"
    echo "$size $r $a $pr $b" >>"$rates"
    awk -v s="$size" -v r="$r" -v a="$a" -v p="$pr" -v b="$b" 'BEGIN {
      printf "bridge-bench: round %d, %5d B: nng push/pull %7.0f msg/s, nng pair %7.0f msg/s, bridge %7.0f msg/s; bridge/push %.2f, bridge/pair %.2f\n", r, s, a, p, b, b / a, b / p }'
  done
  r=$((r + 1))
done

# The medians of each size's rates and ratios, and the verdict.
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
col() { awk -v s="$1" '$1 == s { printf "%.4f\n", '"$2"' }' "$rates"; } # col SIZE EXPR
verdict=0
for c in $cases; do
  size=${c%%:*}
  a=$(col "$size" '$3' | median) pr=$(col "$size" '$4' | median) b=$(col "$size" '$5' | median)
  q=$(col "$size" '$5 / $3' | median) qp=$(col "$size" '$5 / $4' | median)
  range=$(col "$size" '$5 / $3' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }')
  met="met"
  awk -v q="$q" 'BEGIN { exit !(q >= 0.8) }' || { met="NOT MET"; verdict=1; }
  awk -v s="$size" -v a="$a" -v p="$pr" -v b="$b" -v q="$q" -v qp="$qp" -v n="$rounds" -v range="$range" -v met="$met" 'BEGIN {
    printf "bridge-bench: %d B, medians of %d rounds: nng push/pull %.0f msg/s (%.0f MB/s), nng pair %.0f msg/s, bridge %.0f msg/s (%.0f MB/s); bridge/push %.2f (range %s), target >= 0.80: %s; bridge/pair %.2f\n",
      s, n, a, a * s / 1e6, p, b, b * s / 1e6, q, range, met, qp }'
done
exit "$verdict"
