# bukong_test(NAME SOURCES a.cc b.cc LIBS lib... LABELS l...)
# One GoogleTest executable registered with CTest. Labels name the module (dsl, engine,
# storage, cli, ...) and `tsan` marks what `make test` also runs under ThreadSanitizer (the
# tests with threads); under AddressSanitizer/UBSan `make test` runs every test.
function(bukong_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}"
                       ENVIRONMENT "BUKONG_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  # tests_<label> builds every test carrying that label, so a sanitizer build compiles only
  # what it runs (`cmake --build build-asan --target tests_dsl`).
  foreach(label ${ARG_LABELS})
    if(NOT TARGET tests_${label})
      add_custom_target(tests_${label})
    endif()
    add_dependencies(tests_${label} ${name})
  endforeach()
endfunction()

# bukong_bench(NAME SOURCES ... LIBS ...): a Google Benchmark executable (not a test).
function(bukong_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} benchmark::benchmark)
endfunction()
