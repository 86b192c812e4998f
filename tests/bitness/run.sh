#!/bin/sh
# The 32/64-bit test: builds tests/bitness/peer for 32-bit x86 (gcc -m32, Debian's
# gcc-multilib) in BUILD/m32 and runs the 64-bit build's peer against it, then the 32-bit one
# against the 64-bit one (each drives a block, a mutex, an SWMR guard whose holder dies, and
# ring channels both ways). Prints "bitness: ..." lines; exits non-zero on any failure, and
# 77 (not run) when the kernel cannot execute 32-bit programs at all (no IA32 emulation).
#   usage: tests/bitness/run.sh TOP BUILD
set -u
top=$1 build=$2
peer64="$build/linux/tests/bitness/bitness-peer"
peer32="$build/m32/tests/bitness/bitness-peer"
if [ ! -x "$peer64" ]; then
  echo "bitness: FAILED: $peer64 is not built"
  exit 1
fi
if ! printf 'int main(void){return 0;}\n' | gcc -m32 -x c -o /dev/null - 2>/dev/null; then
  echo "bitness: FAILED: gcc -m32 cannot link (scripts/install-deps installs gcc-multilib)"
  exit 1
fi
cmake -S "$top" -B "$build/m32" -DCMAKE_C_COMPILER=gcc "-DCMAKE_C_FLAGS=-m32 -Wno-psabi" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEMCHAN_WERROR=ON -DMEMCHAN_BUILD_TESTS=OFF \
  -DMEMCHAN_BUILD_TOOLS=OFF -DMEMCHAN_BUILD_EXAMPLES=OFF -DMEMCHAN_BUILD_BITNESS_PEER=ON \
  >"$build/m32-configure.log" 2>&1 || { cat "$build/m32-configure.log"; echo "bitness: FAILED: configure"; exit 1; }
cmake --build "$build/m32" --target bitness-peer -j2 || { echo "bitness: FAILED: 32-bit build"; exit 1; }
# A kernel without IA32 emulation (some VMs) refuses any 32-bit program: the shell reports
# 126. Then the peer is built but cannot be run here, which is said, not taken for a pass.
probe="$build/m32/probe32"
printf 'int main(void){return 0;}\n' | gcc -m32 -x c -o "$probe" - || { echo "bitness: FAILED: probe build"; exit 1; }
"$probe" 2>/dev/null
rc=$?
if [ "$rc" -eq 126 ]; then
  echo "bitness: NOT RUN: this kernel cannot execute 32-bit x86 programs (no IA32 emulation); the 32-bit peer is built ($peer32), its two runs need a kernel that can"
  exit 77
elif [ "$rc" -ne 0 ]; then
  echo "bitness: FAILED: a 32-bit probe program exited with $rc"
  exit 1
fi
status=0
for pair in "$peer64 $peer32 64 32" "$peer32 $peer64 32 64"; do
  set -- $pair
  # A pass is the driver's own last line as well as its status (run-win32.sh says why).
  out=$(timeout 120 "$1" drive "$2" 2>&1)
  rc=$?
  printf '%s\n' "$out"
  if [ "$rc" -eq 0 ] &&
     printf '%s\n' "$out" | grep -qx "peer ($3-bit): every scenario passed against a $4-bit peer"; then
    echo "bitness: $3-bit process drives the other width: passed"
  else
    echo "bitness: $3-bit process drives the other width: FAILED"
    status=1
  fi
done
exit $status
