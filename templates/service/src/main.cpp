// {{name}}: `{{name}} serve`, `{{name}} migrate …`, `{{name}} check`, `{{name}} openapi`, `{{name}} --help`.
#include "service.hpp"

int main(int argc, char** argv)
{
    using namespace {{identifier}};
    return keel::cli::main<settings>(argc, argv, "{{name}}",
                                     {.routes = [](keel::http::app& app, const settings&) { add_routes(app); },
                                      .serve = [](keel::http::app& app, const settings& config) {
                                          provide(app, config, keel::db::pool::open(config, config.threads));
                                          app.run();
                                      },
                                      .models = keel::migrate::metadata::of<item>(),
                                      .version = "0.1.0"});
}
