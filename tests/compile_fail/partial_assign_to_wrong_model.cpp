// A PATCH body assigned to an object that lacks one of its members must not compile: a member
// sent would otherwise be dropped without a word.
#include <string>

#include <boost/describe/class.hpp>

#include <keel/model/partial.hpp>

struct rename_in {
    std::string name;
    std::string nickname;
};
BOOST_DESCRIBE_STRUCT(rename_in, (), (name, nickname))

struct person {
    std::string name;
};
BOOST_DESCRIBE_STRUCT(person, (), (name))

void apply(const keel::partial<rename_in>& changes, person& p) { changes.assign_to(p); }
