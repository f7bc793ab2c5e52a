# The layers of src/ and what each may include (docs/architecture.md).
#
# pgwasm_layer(<layer> <allowed>...) makes <build>/include/<layer>/, holding
# one symbolic link per allowed folder of src/ (<allowed> -> src/<allowed>)
# and nothing else. A target of the layer gets that directory, not src/, as
# its include path (pgwasm_layer_target), so that including a header of a
# layer it may not use does not compile: "fdw/guest.h" is simply not there
# for the pg layer. Every include is written from src/ ("pg/guard.h"), so
# the including file's own directory never finds another layer either.
set(PGWASM_LAYER_ROOT "${CMAKE_BINARY_DIR}/include")
# What the ctest test `layers` (test/layers/check.py) checks the build
# against: one line per layer, "<layer> <allowed>...".
set(PGWASM_LAYER_MAP "${CMAKE_BINARY_DIR}/layers.txt")
file(WRITE "${PGWASM_LAYER_MAP}" "")

function(pgwasm_layer layer)
  set(dir "${PGWASM_LAYER_ROOT}/${layer}")
  file(REMOVE_RECURSE "${dir}")
  file(MAKE_DIRECTORY "${dir}")
  foreach(allowed IN LISTS ARGN)
    if(NOT IS_DIRECTORY "${CMAKE_SOURCE_DIR}/src/${allowed}")
      message(FATAL_ERROR "layer ${layer}: no folder src/${allowed}")
    endif()
    file(CREATE_LINK "${CMAKE_SOURCE_DIR}/src/${allowed}" "${dir}/${allowed}" SYMBOLIC)
  endforeach()
  list(JOIN ARGN " " allowed_text)
  file(APPEND "${PGWASM_LAYER_MAP}" "${layer} ${allowed_text}\n")
  set_property(GLOBAL PROPERTY PGWASM_LAYER_${layer} "${dir}")
endfunction()

# Gives `target` the include directory of `layer`. PUBLIC: a target linking
# it (a higher layer, a test) may include what it includes, all of it below
# that target's own layer.
function(pgwasm_layer_target target layer)
  get_property(dir GLOBAL PROPERTY PGWASM_LAYER_${layer})
  if(NOT dir)
    message(FATAL_ERROR "no layer ${layer}")
  endif()
  target_include_directories(${target} PUBLIC "${dir}")
  set_property(TARGET ${target} PROPERTY PGWASM_LAYER ${layer})
endfunction()
