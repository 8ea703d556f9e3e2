// Placeholder until the docs page lands (branch docs owns this file and docs.hpp).
#include <keel/openapi/docs.hpp>

namespace keel::openapi {

void mount_docs(http::router&, const openapi_settings&) {}

}  // namespace keel::openapi
