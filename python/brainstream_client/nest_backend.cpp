// A NEST recording backend for brainstream's adapter (brainstream_client.
// nest_native builds and loads it, with nest_loop.cpp): every event a
// recorder with record_to = "brainstream" sees is appended to its thread's
// buffer — a spike as (sender node id, step stamp), a multimeter's sample
// as (sender, stamp, V_m) — and bs_take / bs_take_samples (or the window
// loop) take them all in one call of a few microseconds per window, where
// reading NEST's memory backend through its Python API costs ~80 µs and
// needs resets that NEST allows only outside Prepare/Cleanup. Built
// against the headers the nest-simulator wheel ships (NEST 3.10's
// Dictionary, C++20).
#include "io_manager_impl.h"
#include "kernel_manager.h"
#include "recording_backend.h"
#include "recording_device.h"
#include "event.h"

#include "nest_native.h"

#include <algorithm>
#include <cstring>

std::vector< bs::Recorded > bs::recorded;

namespace
{
// one buffer per NEST thread, sized on the main thread before any Run
void
size_buffers()
{
  const size_t n = nest::kernel().vp_manager.get_num_threads();
  if ( bs::recorded.size() < n )
  {
    bs::recorded.resize( n );
  }
}

template < class T >
void
drain( std::vector< T >& to, std::vector< T >& from )
{
  to.insert( to.end(), from.begin(), from.end() );
  from.clear();
}
}

void
bs::take_spikes( std::vector< long >& senders, std::vector< long >& steps )
{
  for ( auto& r : recorded )
  {
    drain( senders, r.spike_senders );
    drain( steps, r.spike_steps );
  }
}

void
bs::take_samples( std::vector< long >& senders, std::vector< long >& steps, std::vector< double >& values )
{
  for ( auto& r : recorded )
  {
    drain( senders, r.sample_senders );
    drain( steps, r.sample_steps );
    drain( values, r.sample_values );
  }
}

class BrainstreamBackend : public nest::RecordingBackend
{
public:
  ~BrainstreamBackend() throw() override {}
  void initialize() override {}
  void finalize() override {}
  void enroll( const nest::RecordingDevice&, const Dictionary& ) override {}
  void disenroll( const nest::RecordingDevice& ) override {}
  void set_value_names( const nest::RecordingDevice&,
    const std::vector< std::string >&,
    const std::vector< std::string >& ) override
  {
  }
  void prepare() override
  {
    size_buffers();
  }
  void cleanup() override {}
  void pre_run_hook() override
  {
    size_buffers();
  }
  void post_run_hook() override {}
  void post_step_hook() override {}
  // from the thread the device replica lives on
  void write( const nest::RecordingDevice& device,
    const nest::Event& e,
    const std::vector< double >& values,
    const std::vector< long >& ) override
  {
    auto& r = bs::recorded[ device.get_thread() ];
    const long sender = static_cast< long >( e.get_sender_node_id() );
    const long step = e.get_stamp().get_steps();
    if ( device.get_type() == nest::RecordingDevice::MULTIMETER )
    {
      r.sample_senders.push_back( sender );
      r.sample_steps.push_back( step );
      r.sample_values.push_back( values.empty() ? 0.0 : values[ 0 ] );
    }
    else
    {
      r.spike_senders.push_back( sender );
      r.spike_steps.push_back( step );
    }
  }
  void set_status( const Dictionary& ) override {}
  void get_status( Dictionary& ) const override {}
  void check_device_status( const Dictionary& ) const override {}
  void get_device_defaults( Dictionary& ) const override {}
  void get_device_status( const nest::RecordingDevice&, Dictionary& ) const override {}
};

// 0: registered; 1: a backend of that name exists already; 2: failed
extern "C" int
bs_register()
{
  try
  {
    nest::kernel().io_manager.register_recording_backend< BrainstreamBackend >( "brainstream" );
  }
  catch ( nest::BackendAlreadyRegistered& )
  {
    return 1;
  }
  catch ( ... )
  {
    return 2;
  }
  return 0;
}

namespace
{
std::vector< long > taken_senders, taken_steps;
std::vector< double > taken_values;
}

// takes every spike recorded so far (oldest first, thread by thread) into
// the library's own buffer; how many. bs_taken_senders/steps point at it.
extern "C" long
bs_take()
{
  taken_senders.clear();
  taken_steps.clear();
  bs::take_spikes( taken_senders, taken_steps );
  return static_cast< long >( taken_senders.size() );
}

// takes every multimeter sample recorded so far, as bs_take does spikes
extern "C" long
bs_take_samples()
{
  taken_senders.clear();
  taken_steps.clear();
  taken_values.clear();
  bs::take_samples( taken_senders, taken_steps, taken_values );
  return static_cast< long >( taken_senders.size() );
}

extern "C" const long*
bs_taken_senders()
{
  return taken_senders.data();
}

extern "C" const long*
bs_taken_steps()
{
  return taken_steps.data();
}

extern "C" const double*
bs_taken_values()
{
  return taken_values.data();
}
