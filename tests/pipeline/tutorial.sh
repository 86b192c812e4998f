#!/bin/sh
# Holds docs/tutorial.md to the example it teaches: every C block in it must appear, verbatim,
# in examples/pipeline's sources, and every "$ pipeline ..." command in its shell blocks is
# run with the built program and must end with the exit status the line names ("# exit
# status N"; 0 when it names none). With --wine PREFIX the program runs under Wine.
#   usage: tutorial.sh [--wine PREFIX] PIPELINE-PROGRAM TUTORIAL EXAMPLE-DIR
set -eu
wine_prefix=
if [ "${1:-}" = "--wine" ]; then
  wine_prefix=$2
  shift 2
fi
bin=$1 doc=$2 src=$3
work=$(mktemp -d /tmp/memchan-tutorial-XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ -n "$wine_prefix" ]; then
  export WINEPREFIX="$wine_prefix" WINEDEBUG="${WINEDEBUG:--all}"
  export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"
fi

# Split the tutorial's fenced blocks into files: c.N for C, sh.N for shell.
awk -v dir="$work" '
  /^```c$/  { kind = "c"; n++; next }
  /^```sh$/ { kind = "sh"; n++; next }
  /^```/    { kind = ""; next }
  kind != "" { print > (dir "/" kind "." n) }
' "$doc"

failed=0
blocks=0
cat "$src"/*.c "$src"/*.h >"$work/sources"
for f in "$work"/c.*; do
  [ -e "$f" ] || continue
  blocks=$((blocks + 1))
  # A block is quoted verbatim when its lines appear consecutively in one of the sources.
  if ! awk 'NR == FNR { want[n++] = $0; next }
            { line[m++] = $0 }
            END { for (i = 0; i + n <= m; i++) { for (k = 0; k < n && line[i + k] == want[k]; k++);
                                                 if (k == n) exit 0 }
                  exit 1 }' "$f" "$work/sources"; then
    echo "tutorial: this C block is not in $src:" >&2
    sed 's/^/    /' "$f" >&2
    failed=1
  fi
done

commands=0
for f in "$work"/sh.*; do
  [ -e "$f" ] || continue
  while IFS= read -r line; do
    case $line in '$ pipeline'*) ;; *) continue ;; esac
    cmd=${line#\$ pipeline}
    want=0
    case $cmd in *'# exit status '*) want=${cmd##*# exit status }; cmd=${cmd%%#*} ;; esac
    commands=$((commands + 1))
    status=0
    # shellcheck disable=SC2086 # the tutorial's arguments, split as a shell would
    if [ -n "$wine_prefix" ]; then
      wine "$bin" $cmd >"$work/out" 2>&1 || status=$?
    else
      "$bin" $cmd >"$work/out" 2>&1 || status=$?
    fi
    if [ "$status" -ne "$want" ]; then
      echo "tutorial: 'pipeline$cmd' ended with $status, the tutorial says $want:" >&2
      sed 's/^/    /' "$work/out" >&2
      failed=1
    fi
  done <"$f"
done
if [ "$blocks" -eq 0 ] || [ "$commands" -eq 0 ]; then
  echo "tutorial: found $blocks C blocks and $commands commands in $doc" >&2
  failed=1
fi
[ "$failed" -eq 0 ] && echo "tutorial: $blocks C blocks quoted from the example, $commands commands ran as written"
exit "$failed"
