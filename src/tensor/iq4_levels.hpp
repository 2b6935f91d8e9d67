// The sixteen levels that iq4_nl and iq4_xs codes index: non-uniform, denser near zero
// where trained weights cluster, so four bits lose less than q4_0's even steps.
#pragma once

#include <cstdint>

namespace dsinfer {

alignas(16) inline constexpr int8_t kIq4Levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                                      1,    13,   25,  38,  53,  69,  89,  113};

}  // namespace dsinfer
