find_package(GTest REQUIRED CONFIG)
include(GoogleTest)

# The test binaries that run threads and sockets (label integration or dispatch): `make tsan`
# builds only these instead of every target.
add_custom_target(mdg_thread_tests)

# mdg_add_test_binary(MODULE SOURCES ... DEPS ... [LABELS ...])
# One test binary per module, registered test by test with ctest labels.
function(mdg_add_test_binary module)
    cmake_parse_arguments(arg "" "" "SOURCES;DEPS;LABELS" ${ARGN})
    set(target mdg_${module}_tests)
    add_executable(${target} ${arg_SOURCES})
    target_link_libraries(${target} PRIVATE ${arg_DEPS} GTest::gtest GTest::gmock GTest::gtest_main
                          mdg_warnings mdg_sanitizers)
    target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
    target_compile_definitions(${target} PRIVATE
        MDG_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data")
    if(NOT arg_LABELS)
        set(arg_LABELS "unit;${module}")
    endif()
    # gtest_add_tests scans the sources for TEST()/TEST_F(), so each test is its own ctest
    # entry and carries every label (gtest_discover_tests mangles multi-value LABELS).
    gtest_add_tests(TARGET ${target} SOURCES ${arg_SOURCES} TEST_LIST tests)
    set_tests_properties(${tests} PROPERTIES LABELS "${arg_LABELS}" TIMEOUT 300)
    if("integration" IN_LIST arg_LABELS OR "dispatch" IN_LIST arg_LABELS)
        add_dependencies(mdg_thread_tests ${target})
    endif()
endfunction()
