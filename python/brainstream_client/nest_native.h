// What the two halves of brainstream's native NEST code share (built into
// one library by nest_native.py): the spikes the recording backend
// (nest_backend.cpp) has buffered and the window loop (nest_loop.cpp)
// hands over, as (sender node id, step stamp) pairs in arrival order.
#pragma once

#include <mutex>
#include <vector>

namespace bs
{
extern std::mutex spikes_lock; // NEST may write from several threads
extern std::vector< long > spike_senders;
extern std::vector< long > spike_steps;
}
