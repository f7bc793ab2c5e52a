# Builds WebAssembly guests at build time, from C (clang's wasm32 target and
# wasm-ld, no libc) or from the text format (wabt's wat2wasm). Guests are
# never committed as binaries.
find_program(CLANG_EXECUTABLE NAMES clang clang-14 REQUIRED)
find_program(WASM_LD_EXECUTABLE NAMES wasm-ld wasm-ld-14 REQUIRED)
find_program(WAT2WASM_EXECUTABLE wat2wasm REQUIRED)
# Debian's rustc, whose standard library for wasm32-wasi comes from the
# package libstd-rust-dev-wasm32; a rustup toolchain earlier in PATH has
# neither that library nor, in recent releases, the target's old name.
find_program(RUSTC_EXECUTABLE rustc PATHS /usr/bin NO_DEFAULT_PATH REQUIRED)

# guest_paths(<source> <output dir>): sets name (the file's name without
# extension), abs (the source's absolute path) and out (<output dir>/<name>.wasm)
# in the caller's scope.
function(guest_paths src out_dir)
  get_filename_component(name "${src}" NAME_WE)
  get_filename_component(abs "${src}" ABSOLUTE)
  set(name "${name}" PARENT_SCOPE)
  set(abs "${abs}" PARENT_SCOPE)
  set(out "${out_dir}/${name}.wasm" PARENT_SCOPE)
endfunction()

# add_wasm_guests(<target> <output dir> <source>...): <name>.c, <name>.cc and
# <name>.wat each become <output dir>/<name>.wasm; .wat files are copied
# alongside too. C and C++ guests may include the SDK (sdk/pg_wasm.h).
function(add_wasm_guests target out_dir)
  set(outputs)
  foreach(src IN LISTS ARGN)
    guest_paths("${src}" "${out_dir}")
    get_filename_component(ext "${src}" LAST_EXT)
    if(ext STREQUAL ".c")
      add_custom_command(OUTPUT "${out}"
        COMMAND ${CMAKE_COMMAND} -E make_directory "${out_dir}"
        COMMAND ${CLANG_EXECUTABLE} --target=wasm32 -nostdlib -O2 -fuse-ld=lld
                -I "${CMAKE_SOURCE_DIR}/sdk" -Wl,--no-entry -o "${out}" "${abs}"
        DEPENDS "${abs}" "${CMAKE_SOURCE_DIR}/sdk/pg_wasm.h" "${CMAKE_SOURCE_DIR}/sdk/pg_wasm_fdw.h"
        COMMENT "Building wasm guest ${name}.wasm" VERBATIM)
    elseif(ext STREQUAL ".cc")
      # C++ without the standard library's runtime: no exceptions, no RTTI.
      add_custom_command(OUTPUT "${out}"
        COMMAND ${CMAKE_COMMAND} -E make_directory "${out_dir}"
        COMMAND ${CLANG_EXECUTABLE} -x c++ -std=c++20 --target=wasm32 -nostdlib -O2 -fno-exceptions -fno-rtti
                -fuse-ld=lld -I "${CMAKE_SOURCE_DIR}/sdk" -Wl,--no-entry -o "${out}" "${abs}"
        DEPENDS "${abs}" "${CMAKE_SOURCE_DIR}/sdk/pg_wasm.h"
        COMMENT "Building wasm guest ${name}.wasm (C++)" VERBATIM)
    elseif(ext STREQUAL ".wat")
      add_custom_command(OUTPUT "${out}" "${out_dir}/${name}.wat"
        COMMAND ${CMAKE_COMMAND} -E make_directory "${out_dir}"
        COMMAND ${WAT2WASM_EXECUTABLE} -o "${out}" "${abs}"
        COMMAND ${CMAKE_COMMAND} -E copy "${abs}" "${out_dir}/${name}.wat"
        DEPENDS "${abs}" COMMENT "Assembling wasm guest ${name}.wasm" VERBATIM)
    else()
      message(FATAL_ERROR "add_wasm_guests: ${src} is not .c, .cc or .wat")
    endif()
    list(APPEND outputs "${out}")
  endforeach()
  add_custom_target(${target} ALL DEPENDS ${outputs})
endfunction()

# add_wasi_guests(<target> <output dir> [REACTOR <source.c>...] [COMMAND <source.c>...]):
# C programs for wasm32-wasi, linked with wasi-libc (WASI preview 1), each
# becoming <output dir>/<name>.wasm. A REACTOR is a library: it exports the
# functions marked __attribute__((export_name("f"))) and _initialize, which
# the host calls once per instance. A COMMAND is a program: main, exported as
# _start. Debian's clang finds its wasi-libc (package wasi-libc) and runtime
# (libclang-rt-14-dev-wasm32) under /usr; set WASI_SYSROOT for another one,
# such as wasi-sdk's share/wasi-sysroot.
set(WASI_SYSROOT "" CACHE PATH "wasi-libc sysroot for wasm32-wasi guests (empty: clang's default)")
function(add_wasi_guests target out_dir)
  cmake_parse_arguments(PARSE_ARGV 2 ARG "" "" "REACTOR;COMMAND")
  set(sysroot)
  if(WASI_SYSROOT)
    set(sysroot "--sysroot=${WASI_SYSROOT}")
  endif()
  set(outputs)
  foreach(model IN ITEMS REACTOR COMMAND)
    foreach(src IN LISTS ARG_${model})
      guest_paths("${src}" "${out_dir}")
      set(exec_model)
      if(model STREQUAL "REACTOR")
        set(exec_model -mexec-model=reactor)
      endif()
      add_custom_command(OUTPUT "${out}"
        COMMAND ${CMAKE_COMMAND} -E make_directory "${out_dir}"
        COMMAND ${CLANG_EXECUTABLE} --target=wasm32-wasi ${sysroot} ${exec_model} -O2 -Wall
                -I "${CMAKE_SOURCE_DIR}/sdk"
                -fuse-ld=lld -o "${out}" "${abs}"
        DEPENDS "${abs}" "${CMAKE_SOURCE_DIR}/sdk/pg_wasm.h"
        COMMENT "Building WASI guest ${name}.wasm" VERBATIM)
      list(APPEND outputs "${out}")
    endforeach()
  endforeach()
  add_custom_target(${target} ALL DEPENDS ${outputs})
endfunction()

# add_rust_guests(<target> <output dir> [TARGET <triple>] [DEPENDS <file>...]
#                 [LIBRARY <source.rs>...] [COMMAND <source.rs>...]):
# Rust for wasm32-wasi (or TARGET, such as wasm32-unknown-unknown, built with
# panic=abort), each file a crate becoming <output dir>/<name>.wasm. A
# LIBRARY (crate type cdylib) exports its #[no_mangle] functions; a COMMAND
# is a program, main exported as _start. DEPENDS: files the crates include
# (an SDK module). Source paths in panic messages are made relative to the
# source tree, so they read the same on every machine.
function(add_rust_guests target out_dir)
  cmake_parse_arguments(PARSE_ARGV 2 ARG "" "TARGET" "LIBRARY;COMMAND;DEPENDS")
  set(triple wasm32-wasi)
  set(extra)
  if(ARG_TARGET)
    set(triple ${ARG_TARGET})
    if(NOT triple MATCHES "wasi")
      set(extra -C panic=abort)
    endif()
  endif()
  set(outputs)
  foreach(kind IN ITEMS LIBRARY COMMAND)
    foreach(src IN LISTS ARG_${kind})
      guest_paths("${src}" "${out_dir}")
      set(crate_type)
      if(kind STREQUAL "LIBRARY")
        set(crate_type --crate-type cdylib)
      endif()
      add_custom_command(OUTPUT "${out}"
        COMMAND ${CMAKE_COMMAND} -E make_directory "${out_dir}"
        COMMAND ${RUSTC_EXECUTABLE} --edition 2021 --target ${triple} ${crate_type}
                -C opt-level=2 -C strip=debuginfo ${extra}
                "--remap-path-prefix=${CMAKE_SOURCE_DIR}/=" -o "${out}" "${abs}"
        DEPENDS "${abs}" ${ARG_DEPENDS} COMMENT "Building Rust guest ${name}.wasm" VERBATIM)
      list(APPEND outputs "${out}")
    endforeach()
  endforeach()
  add_custom_target(${target} ALL DEPENDS ${outputs})
endfunction()
