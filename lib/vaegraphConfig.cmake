# find_package(vaegraph) -> the imported target vaegraph::vaegraph (the
# shared library; its include directory holds vaegraph/vaegraph.h).
include("${CMAKE_CURRENT_LIST_DIR}/vaegraphTargets.cmake")
