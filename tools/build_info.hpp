#pragma once
// Provenance of this binary, generated at build time (cmake/build_info.cmake).
namespace spindle::cli {
const char* build_commit();    ///< short commit hash, "+dirty" with uncommitted changes
const char* build_type();      ///< CMAKE_BUILD_TYPE
const char* build_compiler();  ///< compiler id and version
}  // namespace spindle::cli
