#!/bin/sh
# The Python binding's tests (make test runs this). First `pip install bindings/python`,
# offline (setuptools from Debian, no index, no download), into a temporary folder: that
# builds the compiled module (memchan/_fast.c) as a user's install would, and must. Then
# pytest from Debian's python3-pytest against the library just built in BUILD/linux, with
# that installed package: every channel test on both per-message paths (compiled and
# ctypes). Each test has a 60 s limit (pytest-timeout), the whole run 5 minutes.
#   usage: bindings/python/run-tests.sh TOP BUILD
set -eu
top=$1 build=$2
py=/usr/bin/python3 # Debian's interpreter: the one its python3-* packages are for
lib="$build/linux/libmemchan.so"
[ -f "$lib" ] || { echo "python: no $lib (build the Linux tree first)" >&2; exit 1; }
# The C programs the interoperation tests start: the pipeline example (and the shared library).
cmake --build "$build/linux" --target memchan_shared pipeline >/dev/null
cd "$top/bindings/python"
rc=0

tmp=$(mktemp -d /tmp/memchan-pip-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# From a copy: setuptools writes build/ and *.egg-info beside the sources it builds.
mkdir "$tmp/src" && cp -r pyproject.toml setup.py README.md memchan "$tmp/src/"
if "$py" -m pip install -q --no-index --no-build-isolation --target "$tmp/site" "$tmp/src" \
     >"$tmp/pip.log" 2>&1 &&
   (cd "$tmp" && PYTHONPATH="$tmp/site" MEMCHAN_LIBRARY="$lib" "$py" -c \
     'import memchan, memchan._fast, sys; sys.exit(memchan.__file__.startswith(sys.argv[1]) is False)' \
     "$tmp/site"); then
  echo "python: pip install (offline, with the compiled module) and import: ok"
else
  cat "$tmp/pip.log"
  echo "python: pip install (offline, with the compiled module) and import: FAILED"
  exit 1
fi

MEMCHAN_PYTHON_PATH="$tmp/site" MEMCHAN_REQUIRE_FAST=1 MEMCHAN_LIBRARY="$lib" CC="${CC:-gcc}" \
  PYTHONDONTWRITEBYTECODE=1 timeout 300 "$py" -m pytest -q -p no:cacheprovider \
  -o junit_family=legacy --junitxml="$build/python-tests.xml" tests || rc=$?
summary=$(sed -n 's/.*<testsuite [^>]*errors="\([0-9]*\)" failures="\([0-9]*\)" skipped="\([0-9]*\)" tests="\([0-9]*\)".*/\4 tests, \2 failures, \1 errors, \3 skipped/p' "$build/python-tests.xml" | head -n 1)
echo "python: ${summary:-no results}"
case "$summary" in
  *" 0 skipped") ;;
  *) echo "python: every test must run (none skipped)" >&2; rc=1 ;;
esac
exit "$rc"
