# Builds WebAssembly guests at build time, from C (clang's wasm32 target and
# wasm-ld, no libc) or from the text format (wabt's wat2wasm). Guests are
# never committed as binaries.
find_program(CLANG_EXECUTABLE NAMES clang clang-14 REQUIRED)
find_program(WASM_LD_EXECUTABLE NAMES wasm-ld wasm-ld-14 REQUIRED)
find_program(WAT2WASM_EXECUTABLE wat2wasm REQUIRED)

# add_wasm_guests(<target> <output dir> <source>...): <name>.c and <name>.wat
# each become <output dir>/<name>.wasm; .wat files are copied alongside too.
function(add_wasm_guests target out_dir)
  set(outputs)
  foreach(src IN LISTS ARGN)
    get_filename_component(name "${src}" NAME_WE)
    get_filename_component(ext "${src}" LAST_EXT)
    get_filename_component(abs "${src}" ABSOLUTE)
    set(out "${out_dir}/${name}.wasm")
    if(ext STREQUAL ".c")
      add_custom_command(OUTPUT "${out}"
        COMMAND ${CMAKE_COMMAND} -E make_directory "${out_dir}"
        COMMAND ${CLANG_EXECUTABLE} --target=wasm32 -nostdlib -O2 -fuse-ld=lld
                -Wl,--no-entry -o "${out}" "${abs}"
        DEPENDS "${abs}" COMMENT "Building wasm guest ${name}.wasm" VERBATIM)
    elseif(ext STREQUAL ".wat")
      add_custom_command(OUTPUT "${out}" "${out_dir}/${name}.wat"
        COMMAND ${CMAKE_COMMAND} -E make_directory "${out_dir}"
        COMMAND ${WAT2WASM_EXECUTABLE} -o "${out}" "${abs}"
        COMMAND ${CMAKE_COMMAND} -E copy "${abs}" "${out_dir}/${name}.wat"
        DEPENDS "${abs}" COMMENT "Assembling wasm guest ${name}.wasm" VERBATIM)
    else()
      message(FATAL_ERROR "add_wasm_guests: ${src} is neither .c nor .wat")
    endif()
    list(APPEND outputs "${out}")
  endforeach()
  add_custom_target(${target} ALL DEPENDS ${outputs})
endfunction()
