# Swagger UI for /docs, embedded in the library: a deployed binary needs no files beside it and
# fetches nothing from a CDN. The assets come from node_modules/swagger-ui-dist (package.json pins
# it; scripts/setup installs it). They are pulled in by the assembler's .incbin, not as C++ array
# literals, so the 1.7 MB bundle costs the compiler nothing. Source maps are left out.
set(KEEL_SWAGGER_UI_DIR "${PROJECT_SOURCE_DIR}/node_modules/swagger-ui-dist" CACHE PATH
    "swagger-ui-dist (npm) whose assets the library embeds for /docs")
set(keel_swagger_ui_files swagger-ui-bundle.js swagger-ui.css oauth2-redirect.html oauth2-redirect.js favicon-32x32.png)

set(keel_swagger_ui_paths "${KEEL_SWAGGER_UI_DIR}/package.json")
foreach(file IN LISTS keel_swagger_ui_files)
  list(APPEND keel_swagger_ui_paths "${KEEL_SWAGGER_UI_DIR}/${file}")
endforeach()
foreach(path IN LISTS keel_swagger_ui_paths)
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "keel: ${path} is missing. /docs embeds Swagger UI from the npm package "
                        "swagger-ui-dist: run scripts/setup (or `npm ci --ignore-scripts` in ${PROJECT_SOURCE_DIR}).")
  endif()
endforeach()
# A changed package (npm ci after a version bump) re-runs this: new hashes, new generated source.
set_property(DIRECTORY "${PROJECT_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${keel_swagger_ui_paths})

file(READ "${KEEL_SWAGGER_UI_DIR}/package.json" keel_swagger_ui_package)
string(JSON KEEL_SWAGGER_UI_VERSION GET "${keel_swagger_ui_package}" version)

# One table row and one .incbin per file. The SHA-256 serves as the strong ETag and, being part of
# the generated source, also keeps ccache from reusing an object built from other bytes.
set(KEEL_SWAGGER_UI_INCBINS "")
set(KEEL_SWAGGER_UI_TABLE "")
set(KEEL_SWAGGER_UI_ROWS "")
set(index 0)
foreach(file IN LISTS keel_swagger_ui_files)
  file(SHA256 "${KEEL_SWAGGER_UI_DIR}/${file}" hash)
  string(APPEND KEEL_SWAGGER_UI_INCBINS
    "    \".balign 16\\n\"\n"
    "    \".globl keel_swagger_ui_${index}_begin, keel_swagger_ui_${index}_end\\n\"\n"
    "    \".hidden keel_swagger_ui_${index}_begin, keel_swagger_ui_${index}_end\\n\"\n"
    "    \"keel_swagger_ui_${index}_begin:\\n\"\n"
    "    \".incbin \\\"${KEEL_SWAGGER_UI_DIR}/${file}\\\"\\n\"\n"
    "    \"keel_swagger_ui_${index}_end:\\n\"\n")
  string(APPEND KEEL_SWAGGER_UI_TABLE
    "extern \"C\" const char keel_swagger_ui_${index}_begin[], keel_swagger_ui_${index}_end[];\n")
  string(APPEND KEEL_SWAGGER_UI_ROWS
    "    {\"${file}\", \"${hash}\", keel_swagger_ui_${index}_begin, keel_swagger_ui_${index}_end},\n")
  math(EXPR index "${index} + 1")
endforeach()
configure_file("${CMAKE_CURRENT_LIST_DIR}/swagger_ui_assets.cpp.in" "${CMAKE_CURRENT_BINARY_DIR}/openapi/swagger_ui_assets.cpp" @ONLY)
target_sources(keel PRIVATE "${CMAKE_CURRENT_BINARY_DIR}/openapi/swagger_ui_assets.cpp")
