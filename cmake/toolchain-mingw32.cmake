# Cross-compiles for 32-bit Windows (i686) with Debian's mingw-w64, POSIX threads variant like
# the 64-bit toolchain-mingw64.cmake: the 32-bit peer of the Win32 32/64-bit test
# (tests/bitness/run-win32.sh). Its programs need Wine's 32-bit loader (Debian's wine32).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR i686)
set(MINGW_TRIPLE i686-w64-mingw32)
set(CMAKE_C_COMPILER ${MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${MINGW_TRIPLE}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# Static runtime: the .exe files run under Wine without hunting for libgcc/winpthread DLLs.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
# Wine's launcher picks the 32-bit loader from the PE header; it is only there with wine32.
find_program(MEMCHAN_WINE NAMES wine)
if(MEMCHAN_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${MEMCHAN_WINE})
endif()
