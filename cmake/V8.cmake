# V8 from Debian's libnode: the system package, or Debian's packages unpacked
# into a private prefix by scripts/install-deps.sh, linked with an
# rpath so the installed extension finds it.
set(LIBNODE_PREFIX "/opt/pg_wasm/libnode" CACHE PATH "Private prefix of Debian's libnode")
find_path(V8_INCLUDE_DIR v8.h
  HINTS "${LIBNODE_PREFIX}/usr/include/node" /usr/include/node NO_DEFAULT_PATH)
find_library(V8_LIBRARY NAMES node libnode.so.108
  HINTS "${LIBNODE_PREFIX}/usr/lib/x86_64-linux-gnu" /usr/lib/x86_64-linux-gnu
  NO_DEFAULT_PATH)
if(NOT V8_INCLUDE_DIR OR NOT V8_LIBRARY)
  message(FATAL_ERROR "V8 (libnode-dev) not found; run scripts/install-deps.sh")
endif()
get_filename_component(V8_LIBRARY_DIR "${V8_LIBRARY}" DIRECTORY)
add_library(v8 SHARED IMPORTED)
set_target_properties(v8 PROPERTIES
  IMPORTED_LOCATION "${V8_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${V8_INCLUDE_DIR}")
message(STATUS "V8: ${V8_LIBRARY}")
