#!/bin/sh
# The Win32 32/64-bit test: builds tests/bitness/peer for 32-bit Windows (i686 mingw-w64,
# cmake/toolchain-mingw32.cmake) in BUILD/win32-i686 and, under Wine, runs the 64-bit Win32
# build's peer (BUILD/win32, built by make test) against it, then the 32-bit one against the
# 64-bit one, as run.sh does on Linux. Prints "bitness-win32: ..." lines; exits non-zero on
# any failure, and 77 (not run) when Wine cannot run a 32-bit program here, saying why.
#   usage: tests/bitness/run-win32.sh TOP BUILD
set -u
top=$1 build=$2
peer64="$build/win32/tests/bitness/bitness-peer.exe"
peer32="$build/win32-i686/tests/bitness/bitness-peer.exe"
cc32=i686-w64-mingw32-gcc-posix
if [ ! -f "$peer64" ]; then
  echo "bitness-win32: FAILED: $peer64 is not built (the Win32 build makes it)"
  exit 1
fi
if ! command -v "$cc32" >/dev/null 2>&1; then
  echo "bitness-win32: FAILED: no $cc32 (scripts/install-deps installs gcc-mingw-w64-i686-posix)"
  exit 1
fi
cmake -S "$top" -B "$build/win32-i686" -DCMAKE_TOOLCHAIN_FILE="$top/cmake/toolchain-mingw32.cmake" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEMCHAN_WERROR=ON -DMEMCHAN_BUILD_TESTS=OFF \
  -DMEMCHAN_BUILD_TOOLS=OFF -DMEMCHAN_BUILD_EXAMPLES=OFF -DMEMCHAN_BUILD_BITNESS_PEER=ON \
  >"$build/win32-i686-configure.log" 2>&1 ||
  { cat "$build/win32-i686-configure.log"; echo "bitness-win32: FAILED: configure"; exit 1; }
cmake --build "$build/win32-i686" --target bitness-peer -j2 ||
  { echo "bitness-win32: FAILED: 32-bit Win32 build"; exit 1; }

export WINEPREFIX="${WINEPREFIX:-$build/wine-prefix}" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
"$top/scripts/wine-prefix"

# Can Wine run a 32-bit PE at all? Its 32-bit loader is a 32-bit Linux program (Debian's
# wine32, from the i386 architecture), so it needs that package and a kernel that executes
# 32-bit x86 programs. A trivial i686 program that exits 37 says: without the loader, wine
# reports the program's status as 0 although it never ran, so only 37 is a yes. When it
# cannot run, the probes below say which of the two is missing, and anything else fails.
probe="$build/win32-i686/probe32.exe"
printf 'int main(void){return 37;}\n' | "$cc32" -x c -o "$probe" - ||
  { echo "bitness-win32: FAILED: probe build"; exit 1; }
timeout 60 wine "$probe" </dev/null >"$build/win32-i686/probe32.log" 2>&1
rc=$?
if [ "$rc" -ne 37 ]; then
  # Only a kernel that cannot execute 32-bit x86 programs (no IA32 emulation) is a reason
  # not to run: a missing loader is a missing install step (scripts/install-deps has it).
  kprobe="$build/win32-i686/probe-elf32"
  if printf 'int main(void){return 0;}\n' | gcc -m32 -x c -o "$kprobe" - 2>/dev/null; then
    "$kprobe" 2>/dev/null
    if [ $? -eq 126 ]; then
      echo "bitness-win32: NOT RUN: this kernel cannot execute 32-bit x86 programs (no IA32 emulation), which Wine's 32-bit loader is (wine probe32.exe exited $rc); the 32-bit peer is built ($peer32), its two runs need a kernel that can"
      exit 77
    fi
  fi
  if ! dpkg-query -W -f='${Status}' wine32:i386 2>/dev/null | grep -q "install ok installed"; then
    echo "bitness-win32: FAILED: Wine's 32-bit loader is not installed (Debian's wine32:i386, which scripts/install-deps installs)"
  else
    echo "bitness-win32: FAILED: wine could not run a trivial 32-bit program (exit $rc, not 37): $(head -n 3 "$build/win32-i686/probe32.log" | tr '\n' ' ')"
  fi
  exit 1
fi

if ! { w64=$(winepath -w "$peer64") && w32=$(winepath -w "$peer32"); }; then
  echo "bitness-win32: FAILED: winepath"
  exit 1
fi
status=0
# $1 the width of the driver, $2 the other's, $3 the driver (its Unix path), $4 the other
# (its Windows path). A pass is the driver's last line as well as its status: wine can
# report 0 for a program that never ran.
drive() {
  out=$(timeout 120 wine "$3" drive "$4" </dev/null 2>&1)
  rc=$?
  out=$(printf '%s\n' "$out" | tr -d '\r') # a Win32 program's lines end in CR LF
  printf '%s\n' "$out"
  if [ "$rc" -eq 0 ] &&
     printf '%s\n' "$out" | grep -qx "peer ($1-bit): every scenario passed against a $2-bit peer"; then
    echo "bitness-win32: $1-bit Win32 process drives the other width: passed"
  else
    echo "bitness-win32: $1-bit Win32 process drives the other width: FAILED (exit $rc): $(printf '%s\n' "$out" | grep -m 2 'line [0-9]*:\|exited with' | tr '\n' ' ')"
    status=1
  fi
}
drive 64 32 "$peer64" "$w32"
drive 32 64 "$peer32" "$w64"
exit $status
