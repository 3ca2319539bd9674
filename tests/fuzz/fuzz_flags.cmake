# Compiler flags for a PCAPSCOPE_FUZZ build (included from the top-level
# CMakeLists.txt before any target, so the library is instrumented too).
# libFuzzer ships with clang only: configure a separate build directory with
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -DPCAPSCOPE_FUZZ=ON ...
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "PCAPSCOPE_FUZZ needs clang (libFuzzer): configure with CXX=clang++")
endif()
# Everything gets coverage instrumentation and the sanitizers; the fuzzer
# executables add -fsanitize=fuzzer (libFuzzer's main) at link time.
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
add_link_options(-fsanitize=address,undefined)
