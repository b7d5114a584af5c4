# INTERFACE target with the project's warning flags, linked PRIVATE into every target.
add_library(mdg_warnings INTERFACE)
target_compile_options(mdg_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
    -Wnon-virtual-dtor -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough -Wformat=2
    $<$<CXX_COMPILER_ID:GNU>:-Wduplicated-cond -Wlogical-op>)
if(MDG_WARNINGS_AS_ERRORS)
    target_compile_options(mdg_warnings INTERFACE -Werror)
endif()
