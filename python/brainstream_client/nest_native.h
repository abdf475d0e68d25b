// What the two halves of brainstream's native NEST code share (built into
// one library by nest_native.py): what the recording backend
// (nest_backend.cpp) has buffered since the last take, and how the window
// loop (nest_loop.cpp) and Python take it.
#pragma once

#include <vector>

namespace bs
{
// One thread's events, as NEST's thread writes them (no lock: each thread
// writes only its own; they are taken between Run calls).
struct Recorded
{
  std::vector< long > spike_senders, spike_steps; // spike recorders
  std::vector< long > sample_senders, sample_steps; // multimeters: V_m
  std::vector< double > sample_values;
};

// by NEST thread; taken in thread order, as NEST's memory backend hands its
// events out, so that the order (and sums in it) do not depend on how the
// threads were scheduled
extern std::vector< Recorded > recorded;

// appends every thread's spikes (sender node id, step stamp), then empties them
void take_spikes( std::vector< long >& senders, std::vector< long >& steps );

// appends every thread's samples (sender node id, step stamp, value), then empties them
void take_samples( std::vector< long >& senders, std::vector< long >& steps, std::vector< double >& values );
}
