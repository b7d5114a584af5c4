# cmake -DINPUT=file -DOUTPUT=file.cpp -DNAMESPACE=ns -DSYMBOL=name -P embed_text.cmake
# Writes a C++ source defining `std::string_view ns::name` with the file's text, so a binary
# can carry a small data file (the demo capture) without depending on the working directory.
file(READ "${INPUT}" content)
string(FIND "${content}" ")mdgembed\"" clash)
if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${INPUT} contains the raw-string delimiter")
endif()
file(WRITE "${OUTPUT}.tmp"
    "// Generated from ${INPUT} by cmake/embed_text.cmake. Do not edit.\n"
    "#include <string_view>\n"
    "namespace ${NAMESPACE} {\n"
    "extern const std::string_view ${SYMBOL};\n"
    "const std::string_view ${SYMBOL} = R\"mdgembed(${content})mdgembed\";\n"
    "}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
