#pragma once
// The web console of spindle serve (GET /console): one static HTML page with
// inline CSS and JavaScript that calls the server's own REST API with fetch.
#include <string_view>

namespace spindle::server {

/// The page, embedded in the binary (src/server/console_page.cpp).
[[nodiscard]] std::string_view console_html();

}  // namespace spindle::server
