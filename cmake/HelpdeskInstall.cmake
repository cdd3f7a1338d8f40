# Installation and package export (HELPDESK_INSTALL): the libraries, the public
# headers and a CMake package a host finds with
#   find_package(helpdesk CONFIG REQUIRED)                      # every built component
#   find_package(helpdesk CONFIG REQUIRED COMPONENTS core)      # Abseil + protobuf only
#   find_package(helpdesk CONFIG REQUIRED COMPONENTS core sqlite email)
#   find_package(helpdesk CONFIG REQUIRED COMPONENTS core postgres)
#
# Each component has its own export set, helpdesk<Component>Targets.cmake, which
# helpdeskConfig.cmake includes only when that component is asked for (after
# finding that component's dependencies). helpdeskTargets.cmake holds
# helpdesk::helpdesk (everything), loaded when every built component is.
#
# Adding a component (e.g. the conformance suites, `conformance`, needing GTest):
#   1. install(TARGETS ... EXPORT helpdeskConformanceTargets ...) and
#      helpdesk_install_export(Conformance) below,
#   2. set_property(GLOBAL APPEND PROPERTY HELPDESK_COMPONENTS conformance)
#      where the target is defined (helpdesk_component() does this for libraries),
#   3. its dependencies in cmake/helpdeskConfig.cmake.in (_helpdesk_find_dependencies)
#      and its place in _helpdesk_known_components / _helpdesk_default_components.
include(CMakePackageConfigHelpers)

set(HELPDESK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/helpdesk)
get_property(HELPDESK_BUILT_COMPONENTS GLOBAL PROPERTY HELPDESK_COMPONENTS)
if(BUILD_SHARED_LIBS)
  set(HELPDESK_STATIC_LIBS OFF)
else()
  set(HELPDESK_STATIC_LIBS ON)
endif()

# Public headers; an adapter's header only with its component.
set(helpdesk_header_excludes)
if(NOT HELPDESK_WITH_SQLITE)
  list(APPEND helpdesk_header_excludes PATTERN "storage/sqlite_store.h" EXCLUDE)
endif()
if(NOT HELPDESK_WITH_EMAIL)
  list(APPEND helpdesk_header_excludes PATTERN "channels/email.h" EXCLUDE)
endif()
if(NOT HELPDESK_WITH_POSTGRES)
  list(APPEND helpdesk_header_excludes PATTERN "storage/postgres_store.h" EXCLUDE)
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/helpdesk
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h" ${helpdesk_header_excludes})
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/helpdesk)

# helpdesk_install_export(Name): installs helpdesk<Name>Targets.cmake.
function(helpdesk_install_export name)
  install(EXPORT helpdesk${name}Targets NAMESPACE helpdesk::
          DESTINATION ${HELPDESK_CMAKE_DIR})
endfunction()

set(helpdesk_lib_destinations
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS helpdesk_proto helpdesk_core EXPORT helpdeskCoreTargets
        ${helpdesk_lib_destinations})
helpdesk_install_export(Core)
if(HELPDESK_WITH_SQLITE)
  install(TARGETS helpdesk_sqlite EXPORT helpdeskSqliteTargets ${helpdesk_lib_destinations})
  helpdesk_install_export(Sqlite)
endif()
if(HELPDESK_WITH_POSTGRES)
  install(TARGETS helpdesk_postgres EXPORT helpdeskPostgresTargets ${helpdesk_lib_destinations})
  helpdesk_install_export(Postgres)
endif()
if(HELPDESK_WITH_EMAIL)
  install(TARGETS helpdesk_email EXPORT helpdeskEmailTargets ${helpdesk_lib_destinations})
  helpdesk_install_export(Email)
endif()
if("conformance" IN_LIST HELPDESK_BUILT_COMPONENTS)
  helpdesk_install_export(Conformance)   # src/testing/ installs its targets
endif()
install(TARGETS helpdesk EXPORT helpdeskTargets)
helpdesk_install_export("")

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/helpdeskConfig.cmake.in
  ${PROJECT_BINARY_DIR}/helpdeskConfig.cmake
  INSTALL_DESTINATION ${HELPDESK_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/helpdeskConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/helpdeskConfig.cmake
              ${PROJECT_BINARY_DIR}/helpdeskConfigVersion.cmake
        DESTINATION ${HELPDESK_CMAKE_DIR})
