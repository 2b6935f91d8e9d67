// Python's str.split, str.splitlines and str.replace on UTF-8 text, shared by string methods
// and filters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "template/jinja_runtime.hpp"

namespace dsinfer::jinja {

// sep == nullptr splits on runs of whitespace and drops empty pieces; maxsplit < 0 means no limit;
// from_right is rsplit. Throws Error(invalid_argument) for an empty separator.
std::vector<std::string> py_split(const std::string& s, const std::string* sep, int64_t maxsplit, bool from_right);

std::vector<std::string> py_splitlines(const std::string& s, bool keepends);

// count < 0 replaces every occurrence. The result is checked against the byte budget as it grows.
std::string py_replace(const std::string& s, const std::string& old, const std::string& with, int64_t count,
                       Budget& budget);

}  // namespace dsinfer::jinja
