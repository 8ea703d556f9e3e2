#pragma once
// `keel new NAME`: a new service's project, made from the template keel installs
// (share/keel/templates/service; templates/service in keel's tree).
#include <filesystem>
#include <string>

namespace keel::tool {

struct new_project_options {
    std::string name;                 // the project, its binary and (with '-' as '_') its C++ namespace
    std::filesystem::path directory;  // where to make it; empty: ./NAME
};

/// Makes the project: the template's files with the name filled in, and a migrations folder
/// whose first revision (a fresh id, made now) creates the template's tables. Writes into a
/// temporary directory beside the target and renames it into place, so that a failure leaves
/// nothing behind. Throws keel::error saying what is wrong (a bad name, an existing directory).
struct made_project {
    std::filesystem::path directory;
    std::string configure;  // the command that configures its build against this keel
};
made_project new_project(const new_project_options& options);

}  // namespace keel::tool
