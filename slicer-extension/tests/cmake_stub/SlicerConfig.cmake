# A stand-in for Slicer's build tree (find_package(Slicer)) that checks the extension's CMake layout:
# every file a module lists exists, the extension metadata is set where Slicer's packaging reads it, and
# the result is written to ${CMAKE_BINARY_DIR}/layout.txt for test_extension_layout.
set(Slicer_USE_FILE "${CMAKE_CURRENT_LIST_DIR}/UseSlicer.cmake")
set(Slicer_EXTENSION_GENERATE_CONFIG "${CMAKE_CURRENT_LIST_DIR}/GenerateConfig.cmake")
set(Slicer_EXTENSION_CPACK "${CMAKE_CURRENT_LIST_DIR}/ExtensionCPack.cmake")
set(PYTHON_EXECUTABLE python3)
set(BUILD_TESTING ON)
file(WRITE "${CMAKE_BINARY_DIR}/layout.txt" "")
