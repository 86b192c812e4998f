# Cross-compiles for 64-bit Windows with Debian's mingw-w64 (POSIX threads variant, which
# provides C11 threads-related runtime pieces Check needs). Tests run under Wine through
# CMAKE_CROSSCOMPILING_EMULATOR.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${MINGW_TRIPLE}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Packages also outside the mingw root: an installed memchan (or Check) is found through
# CMAKE_PREFIX_PATH or <Package>_DIR wherever it was installed.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# Static runtime: the .exe files run under Wine without hunting for libgcc/winpthread DLLs.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
find_program(MEMCHAN_WINE NAMES wine64 wine)
if(MEMCHAN_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${MEMCHAN_WINE})
endif()
