#pragma once
// Secrets in URLs, hidden the same way wherever a URL is shown (db::url::redacted, check, --help).
#include <boost/url/params_ref.hpp>

namespace keel::detail {

/// Sets every query parameter that is_secret_parameter() names to ***.
void redact_secret_parameters(boost::urls::params_ref params);

}  // namespace keel::detail
