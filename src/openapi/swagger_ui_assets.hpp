#pragma once
// Swagger UI's files, embedded at build time (src/openapi/swagger_ui.cmake generates the definitions).
#include <cstddef>
#include <span>
#include <string_view>

namespace keel::openapi::detail {

struct embedded_file {
    std::string_view name;    // as in swagger-ui-dist: "swagger-ui-bundle.js"
    std::string_view sha256;  // of the bytes, in hex
    const char* begin;
    const char* end;

    std::string_view bytes() const noexcept { return {begin, static_cast<std::size_t>(end - begin)}; }
};

std::span<const embedded_file> swagger_ui_files() noexcept;

}  // namespace keel::openapi::detail
