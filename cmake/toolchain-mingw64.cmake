# Cross-compiles for 64-bit Windows with Debian's mingw-w64 (POSIX threads variant); tests run
# under Wine (toolchain-mingw-common.cmake).
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(MINGW_TRIPLE x86_64-w64-mingw32)
set(MEMCHAN_WINE_NAMES wine64 wine)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-mingw-common.cmake)
