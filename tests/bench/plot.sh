#!/bin/sh
# scripts/plot-bench on a small CSV in memchan-bench's format: by default it writes into
# build/bench/plots and never into a tracked file; every series has its own colour and dash
# pattern; the axes fit the data.
#   usage: plot.sh   (from anywhere; needs gnuplot, which scripts/install-deps installs)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/memchan-plot-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "plot test: $*" >&2; exit 1; }
command -v gnuplot >/dev/null 2>&1 || fail "gnuplot is missing (scripts/install-deps installs it)"
# 29 fields: pattern,transport,kind,mode,path,cpus,size,status,...,p50_ns(14),...,p99_ns(16),
# ...,gbytes_per_s(23),...
row() { # pattern transport mode path size p50 p99 gbps
  printf '%s,%s,x,%s,%s,0+1,%s,ok,1,0,1,0,1,%s,1,%s,1,1,1,1,1,1,%s,,,,,linux,\n' "$@"
}
{
  echo "pattern,transport,kind,mode,path,cpus,size,status,samples,warmup,senders,gap_us,min_ns,p50_ns,p90_ns,p99_ns,p999_ns,max_ns,mean_ns,messages,elapsed_ns,msgs_per_s,gbytes_per_s,floor,floor_ratio,best_baseline,best_baseline_ratio,platform,note"
  for size in 64 4096 65536; do
    row pingpong memchan spin copy $size $((size / 8 + 300)) $((size / 4 + 900)) 0
    row pingpong pipe "" "" $size $((size / 4 + 9000)) $((size / 2 + 20000)) 0
    row pingpong unix "" "" $size $((size / 4 + 8000)) $((size / 2 + 19000)) 0
    row stream memchan spin copy $size 0 0 "$((size / 1000 + 1)).5"
    row stream pipe "" "" $size 0 0 "0.$((size / 10000 + 1))"
  done
} >"$work/bench.csv"
before=$(cd "$top" && git status --porcelain 2>/dev/null || true)
sh "$top/scripts/plot-bench" --csv "$work/bench.csv" >"$work/out.txt"
after=$(cd "$top" && git status --porcelain 2>/dev/null || true)
[ "$before" = "$after" ] || fail "plot-bench changed the tree:
$after"
plots="$top/build/bench/plots"
for p in latency-p50-0+1 latency-p99-0+1 throughput-0+1; do
  [ -s "$plots/$p.png" ] || fail "no $plots/$p.png"
  gp="$plots/$p.gp"
  grep -q 'set autoscale xfix' "$gp" && grep -q 'set autoscale yfix' "$gp" ||
    fail "$p: the axes do not fit the data"
  # Every series its own colour and dash pattern.
  n=$(grep -o 'using 1:2' "$gp" | wc -l)
  colours=$(grep -o 'linecolor [0-9]*' "$gp" | sort -u | wc -l)
  dashes=$(grep -o 'dashtype [0-9]*' "$gp" | sort -u | wc -l)
  [ "$n" -ge 2 ] && [ "$colours" -eq "$n" ] && [ "$dashes" -ge 2 ] ||
    fail "$p: $n series, $colours colours, $dashes dash patterns"
done
echo "plot test: $(grep -c 'plot-bench:' "$work/out.txt") plots in build/bench/plots, series told apart, axes fitted"
