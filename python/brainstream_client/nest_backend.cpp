// A NEST recording backend for brainstream's adapter (brainstream_client.
// nest_native builds and loads it, with nest_loop.cpp): every spike a recorder with
// record_to = "brainstream" sees is appended to one buffer as (sender node
// id, step stamp), and bs_take copies the buffer out and empties it — one
// call of a few microseconds per window, where reading NEST's memory
// backend through its Python API costs ~80 µs and needs resets that NEST
// allows only outside Prepare/Cleanup. Built against the headers the
// nest-simulator wheel ships (NEST 3.10's Dictionary, C++20).
#include "io_manager_impl.h"
#include "kernel_manager.h"
#include "recording_backend.h"
#include "recording_device.h"
#include "event.h"

#include "nest_native.h"

#include <algorithm>
#include <cstring>

std::mutex bs::spikes_lock;
std::vector< long > bs::spike_senders;
std::vector< long > bs::spike_steps;

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
  void prepare() override {}
  void cleanup() override {}
  void pre_run_hook() override {}
  void post_run_hook() override {}
  void post_step_hook() override {}
  void write( const nest::RecordingDevice&,
    const nest::Event& e,
    const std::vector< double >&,
    const std::vector< long >& ) override
  {
    std::lock_guard< std::mutex > g( bs::spikes_lock );
    bs::spike_senders.push_back( static_cast< long >( e.get_sender_node_id() ) );
    bs::spike_steps.push_back( e.get_stamp().get_steps() );
  }
  void set_status( const Dictionary& ) override {}
  void get_status( Dictionary& ) const override {}
  void check_device_status( const Dictionary& ) const override {}
  void get_device_defaults( Dictionary& ) const override {}
  void get_device_status( const nest::RecordingDevice&, Dictionary& ) const override {}
};

// 0: registered; 1: a backend of that name exists already; 2: failed
extern "C" int bs_register()
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

// spikes buffered so far
extern "C" long bs_count()
{
  std::lock_guard< std::mutex > g( bs::spikes_lock );
  return static_cast< long >( bs::spike_senders.size() );
}

// copies up to cap buffered spikes out, oldest first, and drops them
extern "C" long bs_take( long* senders, long* steps, long cap )
{
  std::lock_guard< std::mutex > g( bs::spikes_lock );
  auto& se = bs::spike_senders;
  auto& st = bs::spike_steps;
  const long n = std::min( cap, static_cast< long >( se.size() ) );
  std::memcpy( senders, se.data(), n * sizeof( long ) );
  std::memcpy( steps, st.data(), n * sizeof( long ) );
  se.erase( se.begin(), se.begin() + n );
  st.erase( st.begin(), st.begin() + n );
  return n;
}
