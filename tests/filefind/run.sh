#!/bin/sh
# Runs the file-find suite (tests/test_filefind.c): builds the test tree and an independent
# reference listing with find(1), then runs the suite natively or, with --wine PREFIX, under
# Wine (which sees the tree through Z:). As root it runs without the capabilities that bypass
# file permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so that the tree's mode-000
# directory is unreadable to the client and to find alike; under Wine, a prefix of its own
# then gives a wineserver (which does Wine's file access) without them too.
#   usage: run.sh [--wine PREFIX] TEST-BINARY
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -eq 0 ] && [ -z "${MEMCHAN_NODAC:-}" ] && command -v setpriv >/dev/null 2>&1
then
  MEMCHAN_NODAC=1 exec setpriv --bounding-set=-dac_override,-dac_read_search sh "$0" "$@"
fi
prefix=
if [ "${1:-}" = "--wine" ]; then
  prefix=$2
  shift 2
fi
bin=$1

work=$(mktemp -d /tmp/memchan-ff-XXXXXX)
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
sh "$here/make-tree.sh" "$work/tree"
cd "$work"
fmt='%P\t%y\t%Y\t%s\t%T@\n'
LC_ALL=C find tree -mindepth 1 -printf "$fmt" >find.txt 2>find-errors.txt || true
LC_ALL=C find -L tree -mindepth 1 -printf "$fmt" >find-l.txt 2>/dev/null || true
# For each pattern (one per line), the names find -iname matches (case-insensitive, like
# FindFirstFile); "*.*" and "*" match every name and "*." names without a dot, as on Windows.
i=0
while IFS= read -r p; do
  case $p in
  '*' | '*.*') LC_ALL=C.UTF-8 find tree -mindepth 1 -printf '%P\n' >"pattern$i.names" ;;
  '*.') LC_ALL=C.UTF-8 find tree -mindepth 1 ! -name '*.*' -printf '%P\n' >"pattern$i.names" ;;
  *) LC_ALL=C.UTF-8 find tree -mindepth 1 -iname "$p" -printf '%P\n' >"pattern$i.names" ;;
  esac 2>/dev/null || true
  i=$((i + 1))
done <"$here/patterns.txt"
cp "$here/patterns.txt" patterns.txt

export FILEFIND_WORK="$work"
status=0
if [ -n "$prefix" ]; then
  export WINEPREFIX="$prefix" WINEDEBUG="${WINEDEBUG:--all}"
  export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"
  "$here/../../scripts/wine-prefix" >/dev/null
  wine "$bin" || status=$?
else
  "$bin" || status=$?
fi
exit "$status"
