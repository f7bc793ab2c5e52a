# Compiler flags of the fuzz build (PGWASM_FUZZ): everything compiled in this
# tree gets libFuzzer's coverage instrumentation, AddressSanitizer and
# UndefinedBehaviorSanitizer; the fuzz targets add libFuzzer's main when they
# link (test/fuzz/CMakeLists.txt). libwabt.a and V8 (libnode) come prebuilt
# from Debian and stay uninstrumented: their crashes are still caught, their
# branches just do not guide the fuzzer.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "PGWASM_FUZZ needs clang (libFuzzer): configure with "
                      "-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++, or use scripts/fuzz.sh")
endif()
set(PGWASM_SANITIZERS address,undefined)
# A UBSan report stops the run like an ASan report does, so that libFuzzer
# saves the input. UBSan's vptr check is left out: it needs the typeinfo of
# every polymorphic object it meets, and V8 is built without RTTI, so it
# cannot link against V8's classes and reports false errors on objects V8
# made (std::shared_ptr control blocks of V8's BackingStores, whose shared
# inline code it checks wherever that code is instantiated).
add_compile_options(-fsanitize=fuzzer-no-link,${PGWASM_SANITIZERS} -fno-sanitize=vptr
                    -fno-sanitize-recover=all -fno-omit-frame-pointer)
add_link_options(-fsanitize=${PGWASM_SANITIZERS})
