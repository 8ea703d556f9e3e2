// The docs' code is code CI compiles: every ```cpp block of README.md and docs/*.md is preceded by
// `<!-- example: FILE -->` and is a verbatim run of FILE's lines (its indentation may be shifted
// as a whole), and FILE is one the build compiles: docs/examples/ (docs/examples/CMakeLists.txt;
// docs/examples/todos, which scripts/check-package builds against the installed keel), or the
// users service and keel's tests.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;
const fs::path source = KEEL_SOURCE_DIR;

std::vector<std::string> lines_of(const fs::path& file)
{
    std::ifstream in(file);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(line.substr(0, line.find_last_not_of(" \t") + 1));
    return lines;
}

struct code_block {
    std::string example;  // the file named by the marker before it, or ""
    std::size_t line = 0;
    std::vector<std::string> lines;
};

std::vector<code_block> cpp_blocks(const fs::path& page)
{
    const auto lines = lines_of(page);
    std::vector<code_block> blocks;
    const std::string marker = "<!-- example: ";
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i] != "```cpp" && lines[i] != "```c++" && lines[i] != "```cc" && lines[i] != "```cxx")
            continue;
        code_block block;
        block.line = i + 1;
        if (i > 0 && lines[i - 1].starts_with(marker) && lines[i - 1].ends_with(" -->"))
            block.example = lines[i - 1].substr(marker.size(), lines[i - 1].size() - marker.size() - 4);
        for (++i; i < lines.size() && lines[i] != "```"; ++i)
            block.lines.push_back(lines[i]);
        blocks.push_back(std::move(block));
    }
    return blocks;
}

/// Whether `block` is a run of `file`'s lines, each with the same prefix of spaces added.
bool is_excerpt(const std::vector<std::string>& block, const std::vector<std::string>& file)
{
    if (block.empty())
        return false;
    for (std::size_t start = 0; start + block.size() <= file.size(); ++start) {
        const auto& first = file[start];
        if (!first.ends_with(block.front()) || first.find_first_not_of(' ') < first.size() - block.front().size())
            continue;
        const std::string indent = first.substr(0, first.size() - block.front().size());
        bool all = true;
        for (std::size_t k = 0; k < block.size() && all; ++k)
            all = block[k].empty() ? file[start + k].empty() : file[start + k] == indent + block[k];
        if (all)
            return true;
    }
    return false;
}

/// The words of a CMakeLists.txt outside its comments: the file names its targets are built from.
std::set<std::string> cmake_words(const fs::path& file)
{
    std::set<std::string> words;
    for (const auto& line : lines_of(file)) {
        std::istringstream code(line.substr(0, line.find('#')));
        for (std::string word; code >> word;) {
            if (const auto open = word.find('('); open != std::string::npos)  // add_library(docs_examples
                word.erase(0, open + 1);
            if (const auto close = word.find(')'); close != std::string::npos)  // settings.cpp)
                word.erase(close);
            words.insert(word);
        }
    }
    return words;
}

/// Whether the build compiles `example`: the trees the build compiles whole (examples/, tests/,
/// docs/examples/todos/, which scripts/check-package builds), or a file docs/examples/CMakeLists.txt
/// lists among its targets' sources (`built`).
bool compiled(const std::string& example, const std::set<std::string>& built)
{
    if (!fs::is_regular_file(source / example))
        return false;
    for (const auto* tree : {"examples/", "tests/", "docs/examples/todos/"})
        if (example.starts_with(tree))
            return true;
    return example.starts_with("docs/examples/") && built.contains(example.substr(std::string("docs/examples/").size()));
}

std::vector<fs::path> pages()
{
    std::vector<fs::path> out{source / "README.md"};
    for (const auto& entry : fs::directory_iterator(source / "docs"))
        if (entry.path().extension() == ".md")
            out.push_back(entry.path());
    return out;
}

TEST(docs, every_cpp_block_is_an_excerpt_of_a_compiled_example)
{
    const auto built = cmake_words(source / "docs/examples/CMakeLists.txt");
    std::size_t checked = 0;
    for (const auto& page : pages())
        for (const auto& block : cpp_blocks(page)) {
            const auto where = fs::relative(page, source).string() + ":" + std::to_string(block.line);
            if (block.example.empty()) {
                ADD_FAILURE() << where << ": a ```cpp block needs `<!-- example: FILE -->` on the line before it";
                continue;
            }
            const fs::path file = source / block.example;
            EXPECT_TRUE(compiled(block.example, built)) << where << ": " << block.example << " is not a file the build compiles";
            EXPECT_TRUE(is_excerpt(block.lines, lines_of(file)))
                << where << ": the block is not a verbatim run of lines of " << block.example;
            ++checked;
        }
    EXPECT_GE(checked, 10u);  // the docs do show code
}

TEST(docs, the_checker_tells_an_excerpt_from_an_edited_copy)
{
    const std::vector<std::string> file{"int f()", "{", "    return 1;", "}"};
    EXPECT_TRUE(is_excerpt({"int f()", "{"}, file));
    EXPECT_TRUE(is_excerpt({"return 1;"}, file));  // shifted left as a whole
    EXPECT_FALSE(is_excerpt({"return 2;"}, file));
    EXPECT_FALSE(is_excerpt({"{", "return 1;"}, file));  // not shifted the same
    EXPECT_FALSE(is_excerpt({}, file));
}

}  // namespace
