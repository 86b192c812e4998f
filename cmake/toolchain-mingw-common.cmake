# What both Win32 toolchain files (toolchain-mingw64.cmake, toolchain-mingw32.cmake) share:
# Debian's mingw-w64 for the triple MINGW_TRIPLE, POSIX threads variant (it provides C11
# threads-related runtime pieces Check needs). Tests run under Wine through
# CMAKE_CROSSCOMPILING_EMULATOR, found among MEMCHAN_WINE_NAMES.
set(CMAKE_SYSTEM_NAME Windows)
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
find_program(MEMCHAN_WINE NAMES ${MEMCHAN_WINE_NAMES})
if(MEMCHAN_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${MEMCHAN_WINE})
endif()
