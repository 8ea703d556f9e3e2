# What `cmake --install build [--prefix P]` puts in place for projects that use keel:
#   include/keel/…                      the public headers (<keel/keel.hpp> includes them all)
#   lib/libkeel.a                       the library, Swagger UI's assets inside it
#   lib/libkeel_testing.a               keel::testing: fixtures for a service's tests (<keel/testing/…>)
#   bin/keel                            the keel tool
#   bin/keel-dev-postgres               scripts/dev-postgres: a local PostgreSQL for a project
#   share/keel/templates/               what `keel new` makes a project from
#   lib/cmake/keel/                     keel::keel and keel::testing for find_package(keel 0.1 CONFIG REQUIRED)
#   lib/pkgconfig/keel.pc, keel-testing.pc  the same for pkg-config
include(CMakePackageConfigHelpers)

install(TARGETS keel keel_testing EXPORT keelTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS keel_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(PROGRAMS "${PROJECT_SOURCE_DIR}/scripts/dev-postgres" DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME keel-dev-postgres)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/keel" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/templates/" DESTINATION ${CMAKE_INSTALL_DATADIR}/keel/templates)

set(keel_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/keel)
install(EXPORT keelTargets NAMESPACE keel:: DESTINATION ${keel_cmake_dir})
configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/keelConfig.cmake.in" "${PROJECT_BINARY_DIR}/keelConfig.cmake"
  INSTALL_DESTINATION ${keel_cmake_dir})
# 0.x: a minor version may change the API, so find_package(keel 0.1) accepts 0.1.* only.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/keelConfigVersion.cmake" COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/keelConfig.cmake" "${PROJECT_BINARY_DIR}/keelConfigVersion.cmake"
  DESTINATION ${keel_cmake_dir})

# pkg-config: libkeel is static, so its own dependencies are in Requires (and Boost's libraries,
# which have no .pc files, in Libs).
set(KEEL_PC_MALLOC "")
if(KEEL_MALLOC STREQUAL "jemalloc")
  set(KEEL_PC_MALLOC " jemalloc")
endif()
# Relocatable as the CMake package is: the prefix is found from the .pc file's own place, so
# `cmake --install --prefix P` needs no reconfiguring.
file(RELATIVE_PATH KEEL_PC_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file("${CMAKE_CURRENT_LIST_DIR}/keel.pc.in" "${PROJECT_BINARY_DIR}/keel.pc" @ONLY)
configure_file("${CMAKE_CURRENT_LIST_DIR}/keel-testing.pc.in" "${PROJECT_BINARY_DIR}/keel-testing.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/keel.pc" "${PROJECT_BINARY_DIR}/keel-testing.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
