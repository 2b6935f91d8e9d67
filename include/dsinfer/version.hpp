#pragma once

namespace dsinfer {

// "0.1.0": the library version (the C ABI has its own number, see capi/dsinfer.h).
const char* version_string();

}  // namespace dsinfer
