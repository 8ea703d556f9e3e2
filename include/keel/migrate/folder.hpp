#pragma once
// The migrations folder: made by `migrate init`, holding one SQL file per revision and dialect,
// named DATE_TIME_ID_SLUG.DIALECT.sql so that a listing reads in the order they were written.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <keel/migrate/revision.hpp>

namespace keel::migrate {

/// Creates `folder` with a README saying how it is used. Throws migrate::error when it already
/// holds files (nothing is overwritten). The database URL stays in the settings, never here.
void init_folder(const std::filesystem::path& folder);

/// A new revision's files, empty sections, one per dialect: a fresh random id, `parents`, the
/// time now. Written by write_revision.
std::vector<revision> new_revision(std::string message, std::vector<std::string> parents, const std::vector<db::backend>& dialects);

/// Writes each file of one revision into `folder`; returns their paths. Throws migrate::error if
/// a file of that name exists.
std::vector<std::filesystem::path> write_revision(const std::filesystem::path& folder, const std::vector<revision>& files);

}  // namespace keel::migrate
