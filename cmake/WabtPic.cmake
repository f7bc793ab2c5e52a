# Debian's libwabt.a is not position-independent code, so it cannot go into a
# shared library as is: its references to the C library's stdin/stdout/stderr
# need PC-relative relocations to symbols defined in another object. We copy
# the archive with those three symbols renamed to hidden variables defined in
# src/toolkit/wabt_stdio.cc, and link the extension with a version script
# that exports only its own entry points, so every wabt symbol stays local and
# the link needs no text relocations.
find_package(wabt REQUIRED CONFIG)
get_target_property(WABT_ARCHIVE wabt::wabt IMPORTED_LOCATION_NONE)
get_target_property(WABT_INCLUDE wabt::wabt INTERFACE_INCLUDE_DIRECTORIES)
find_program(OBJCOPY objcopy REQUIRED)
set(WABT_PIC_ARCHIVE "${CMAKE_BINARY_DIR}/libwabt_pgwasm.a")
add_custom_command(OUTPUT "${WABT_PIC_ARCHIVE}"
  COMMAND ${OBJCOPY}
    --redefine-sym stdin=pgwasm_wabt_stdin
    --redefine-sym stdout=pgwasm_wabt_stdout
    --redefine-sym stderr=pgwasm_wabt_stderr
    "${WABT_ARCHIVE}" "${WABT_PIC_ARCHIVE}"
  DEPENDS "${WABT_ARCHIVE}"
  COMMENT "Renaming stdio symbols in libwabt.a")
add_custom_target(wabt_pic_archive DEPENDS "${WABT_PIC_ARCHIVE}")
add_library(wabt_pic STATIC IMPORTED GLOBAL)
set_target_properties(wabt_pic PROPERTIES
  IMPORTED_LOCATION "${WABT_PIC_ARCHIVE}"
  INTERFACE_INCLUDE_DIRECTORIES "${WABT_INCLUDE}")
add_dependencies(wabt_pic wabt_pic_archive)
