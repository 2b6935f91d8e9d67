#include "dsinfer/version.hpp"

namespace dsinfer {

const char* version_string() { return DSINFER_VERSION_STRING; }

}  // namespace dsinfer
