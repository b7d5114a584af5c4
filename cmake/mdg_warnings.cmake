# INTERFACE target with the project's warning flags, linked PRIVATE into every target.
add_library(mdg_warnings INTERFACE)
target_compile_options(mdg_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
    -Wnon-virtual-dtor -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2
    $<$<CXX_COMPILER_ID:GNU>:-Wduplicated-cond -Wlogical-op>
    # GCC 12 reports -Wnull-dereference false positives from inlined std::vector and
    # boost::system::result code at -O2, which would make the Werror build fail on correct
    # code; clang's implementation is precise.
    $<$<CXX_COMPILER_ID:Clang>:-Wnull-dereference>)
if(MDG_WARNINGS_AS_ERRORS)
    target_compile_options(mdg_warnings INTERFACE -Werror)
endif()
