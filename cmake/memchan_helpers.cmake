# Build helpers: warnings, sanitizers, installation and package files.

function(memchan_setup_warnings)
  if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
    # The prototype warnings are C's (the bench's one C++ file, tools/bench/boost_mq.cpp,
    # gets the rest).
    add_compile_options(-Wall -Wextra -Wshadow -Wno-missing-field-initializers
                        $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes>
                        $<$<COMPILE_LANGUAGE:C>:-Wmissing-prototypes>)
    if(MEMCHAN_WERROR)
      add_compile_options(-Werror)
    endif()
  endif()
endfunction()

# Finds Check: sets out_var to the target to link, or to "" when there is none. Windows
# (cross) builds find the package scripts/build-mingw-dep made (check_DIR); elsewhere
# pkg-config's check.
function(memchan_find_check out_var)
  set(lib "")
  if(WIN32)
    find_package(check CONFIG QUIET)
    if(TARGET Check::check)
      set(lib Check::check)
    endif()
  else()
    find_package(PkgConfig QUIET)
    if(PKG_CONFIG_FOUND)
      pkg_check_modules(CHECK QUIET IMPORTED_TARGET GLOBAL check)
      if(TARGET PkgConfig::CHECK)
        set(lib PkgConfig::CHECK)
      endif()
    endif()
  endif()
  set(${out_var} "${lib}" PARENT_SCOPE)
endfunction()

# MEMCHAN_SANITIZE: "address;undefined" (any subset) or "thread".
function(memchan_setup_sanitizers list)
  if(NOT list)
    return()
  endif()
  if("thread" IN_LIST list AND ("address" IN_LIST list))
    message(FATAL_ERROR "MEMCHAN_SANITIZE: thread cannot be combined with address")
  endif()
  foreach(s IN LISTS list)
    if(NOT s MATCHES "^(address|undefined|thread)$")
      message(FATAL_ERROR "MEMCHAN_SANITIZE: unknown sanitizer '${s}'")
    endif()
  endforeach()
  string(REPLACE ";" "," joined "${list}")
  add_compile_options(-fsanitize=${joined} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${joined})
endfunction()

function(memchan_install)
  include(CMakePackageConfigHelpers)
  set(cfgdir ${CMAKE_INSTALL_LIBDIR}/cmake/memchan)
  install(FILES include/memchan.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(TARGETS memchan_static memchan_shared EXPORT memchanTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(EXPORT memchanTargets NAMESPACE memchan:: DESTINATION ${cfgdir})
  configure_package_config_file(cmake/memchanConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/memchanConfig.cmake INSTALL_DESTINATION ${cfgdir})
  write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/memchanConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/memchanConfig.cmake
                ${CMAKE_CURRENT_BINARY_DIR}/memchanConfigVersion.cmake DESTINATION ${cfgdir})
  if(WIN32)
    set(MEMCHAN_PC_PRIVATE "-lbcrypt -lshell32 -ladvapi32")
  else()
    set(MEMCHAN_PC_PRIVATE "-pthread -lrt")
  endif()
  # Relocatable: the prefix is found from the .pc file's own place, so
  # `cmake --install --prefix ANYWHERE` gives a working memchan.pc.
  file(RELATIVE_PATH MEMCHAN_PC_UP "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  configure_file(cmake/memchan.pc.in ${CMAKE_CURRENT_BINARY_DIR}/memchan.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/memchan.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()
