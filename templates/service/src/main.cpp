// {{name}}: `{{name}} serve`, `{{name}} migrate …`, `{{name}} check`, `{{name}} openapi`, `{{name}} --help`.
#include "service.hpp"

int main(int argc, char** argv)
{
    using {{identifier}}::settings;
    return keel::cli::main<settings>(argc, argv, "{{name}}",
                                     {.routes = [](keel::http::app& app, const settings&) { {{identifier}}::add_routes(app); },
                                      .serve = [](keel::http::app& app, const settings& config) {
                                          {{identifier}}::provide(app, config, keel::db::pool::open(config, config.threads));
                                          app.run();
                                      },
                                      .rules = {{identifier}}::setting_rules(),
                                      .models = keel::migrate::metadata::of<{{identifier}}::item>(),
                                      .version = "0.1.0"});
}
