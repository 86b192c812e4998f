# Cross-compiles for 32-bit Windows (i686) with Debian's mingw-w64 (POSIX threads variant), as
# toolchain-mingw64.cmake does for 64-bit: the 32-bit peer of the Win32 32/64-bit test
# (tests/bitness/run-win32.sh). Its programs need Wine's 32-bit loader (Debian's wine32); the
# `wine` launcher picks the loader from the PE header.
set(CMAKE_SYSTEM_PROCESSOR i686)
set(MINGW_TRIPLE i686-w64-mingw32)
set(MEMCHAN_WINE_NAMES wine)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-mingw-common.cmake)
