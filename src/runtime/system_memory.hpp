// How much memory this machine can still hand out, which decides whether the loader may
// copy weights into a repacked layout instead of reading them from the mapped file.
#pragma once

#include <cstdint>

namespace dsinfer {

// Linux's MemAvailable (free memory plus page cache it can reclaim), or the free pages
// sysconf reports where /proc/meminfo cannot be read.
uint64_t available_memory_bytes();

}  // namespace dsinfer
