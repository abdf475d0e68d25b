// The NEST adapter's window loop in C++ (brainstream_client.nest_native
// builds it with nest_backend.cpp and hands it the session's stream
// socket): for proxy spike trains, rates or currents in and spikes,
// population rates and mean membrane potentials out, it serves window after
// window without returning to Python: it reads the window's messages from
// the stream, sets the spike_generators of the proxy trains that fired and
// the regions' inhomogeneous Poisson and step current generators, runs
// NEST for the window, takes the window's spikes (and V_m samples) from the
// recording backend, and sends them and the rates back. Per 1 ms window
// that costs a few µs where the Python path costs ~0.2 ms (about a sixth of
// what NEST itself needs for 2 × 1000 neurons).
//
// It produces the very messages the Python path does (docs/protocol.md,
// same numbers bit for bit) and takes only what it knows: anything else —
// an end, an error, series, a malformed message, the stream closing — is
// handed back to Python untouched (the window's messages stay unread), and
// Python's own loop answers it with its errors and messages.
//
//   bs_loop_configure(...)  once, after the network is built; then
//   bs_loop_meta(edge, variables, nodes) for each series port Python has
//   the names of (a series of a port without them is handed back)
//   bs_serve(pending, n, &windows, &run_s, &first_s) -> code (below); then
//   bs_leftover_size()/bs_leftover() the bytes read but not consumed
//   bs_error() the message of a failure
#include "dictionary.h"
#include "exceptions.h"
#include "nest.h"

#include "nest_native.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <time.h>

// the interpreter's (this library is called from Python, with the GIL held)
extern "C" int PyErr_CheckSignals();

namespace
{
// bs_serve's results
constexpr int HANDED_BACK = 0; // a message for Python to read next
constexpr int IDLE = 1;        // nothing arrived for POLL_MS: Python checks the runtime lives
constexpr int FAILED = 2;      // the session cannot go on (bs_error)
constexpr int NEST_FAILED = 3; // NEST refused or failed (bs_error)
constexpr int SIGNALLED = 4;   // a Python signal handler raised (e.g. KeyboardInterrupt): it is set
constexpr int POLL_MS = 200;

// the wire format, version 1 (wire.py, docs/protocol.md)
constexpr size_t HEADER = 64;
constexpr uint64_t MAX_PAYLOAD = 1ull << 30;
constexpr uint8_t SERIES = 2, SPIKES = 3, EMPTY = 6;
constexpr uint32_t SESSION_EDGE = 0xFFFFFFFFu;
constexpr uint32_t SPIKES_IN = 0, RATES_IN = 1, CURRENT_IN = 2; // input edges

struct Config
{
  int fd = -1;
  double dt = 0.0;
  std::vector< long > gens;    // NEST node id of proxy train k
  std::vector< long > series_gens[ 3 ]; // by input edge: the generator of region r (rates_in, current_in)
  long meta_v[ 3 ] = { -1, -1, -1 };     // by input edge: variables and nodes its names say
  long meta_n[ 3 ] = { -1, -1, -1 };
  std::vector< long > lut;     // NEST node id -> global neuron index (-1: none)
  std::vector< long > cell;    // global neuron -> population * regions + region
  std::vector< double > sizes; // neurons per population
  long npop = 0, nreg = 0;
  uint32_t out_spikes = 0, out_rates = 1; // output edges
  long out_v_m = -1;                      // the v_m output's edge (-1: none)
};

Config cfg;
std::vector< char > in; // bytes read from the stream; [rd, size) not consumed
size_t rd = 0;
std::vector< char > leftover;
std::vector< char > out;
std::string error;
// reused from window to window
std::vector< long > senders, steps, counts, by_step;
std::vector< std::pair< uint32_t, double > > fired;
std::vector< long > sample_senders, sample_steps, row_of;
std::vector< double > sample_values, values;
std::vector< uint64_t > series_stamps;
std::vector< uint64_t > sorted_stamps;
std::vector< uint32_t > sorted_gids;

template < class T >
T
get( const char* p )
{
  T v;
  std::memcpy( &v, p, sizeof v ); // the wire is little-endian, as is every host NEST's wheels exist for
  return v;
}

template < class T >
void
put( T v )
{
  const char* p = reinterpret_cast< const char* >( &v );
  out.insert( out.end(), p, p + sizeof v );
}

template < class T >
void
put_array( const std::vector< T >& v )
{
  const char* p = reinterpret_cast< const char* >( v.data() );
  out.insert( out.end(), p, p + v.size() * sizeof( T ) );
}

struct Header
{
  uint8_t kind, dtype;
  uint32_t edge;
  uint64_t window, start;
  uint32_t d0, d1, d2;
  uint64_t plen;
};

// a message of n bytes at p, if its header is one wire.py accepts as is
bool
parse( const char* p, size_t n, Header& h )
{
  if ( n < HEADER or std::memcmp( p, "BSWF", 4 ) != 0 or get< uint16_t >( p + 4 ) != 1
    or get< uint32_t >( p + 8 ) != 0 )
  {
    return false;
  }
  for ( size_t i = 52; i < HEADER; ++i )
  {
    if ( p[ i ] )
    {
      return false;
    }
  }
  h.kind = static_cast< uint8_t >( p[ 6 ] );
  h.dtype = static_cast< uint8_t >( p[ 7 ] );
  h.edge = get< uint32_t >( p + 12 );
  h.window = get< uint64_t >( p + 16 );
  h.start = get< uint64_t >( p + 24 );
  h.d0 = get< uint32_t >( p + 32 );
  h.d1 = get< uint32_t >( p + 36 );
  h.d2 = get< uint32_t >( p + 40 );
  h.plen = get< uint64_t >( p + 44 );
  return h.plen == n - HEADER;
}

// a framed message: u32 length, then the 64-byte header (its payload follows)
void
put_header( uint8_t kind,
  uint8_t dtype,
  uint32_t edge,
  uint64_t window,
  uint64_t start,
  uint32_t d0,
  uint32_t d1,
  uint32_t d2,
  uint64_t plen )
{
  put< uint32_t >( static_cast< uint32_t >( HEADER + plen ) );
  out.insert( out.end(), { 'B', 'S', 'W', 'F' } );
  put< uint16_t >( 1 );
  put< uint8_t >( kind );
  put< uint8_t >( dtype );
  put< uint32_t >( 0 );
  put< uint32_t >( edge );
  put< uint64_t >( window );
  put< uint64_t >( start );
  put< uint32_t >( d0 );
  put< uint32_t >( d1 );
  put< uint32_t >( d2 );
  put< uint64_t >( plen );
  out.insert( out.end(), 12, '\0' );
}

// a series of series_stamps.size() samples x populations x regions, its
// values in `values`, framed as wire.encode_series frames it
void
put_series( uint32_t edge, uint64_t window )
{
  const uint64_t n = series_stamps.size();
  const uint64_t plen = 16 * n + 8 * n * cfg.npop * cfg.nreg;
  put_header( SERIES, 1, edge, window, n ? series_stamps[ 0 ] : 0, n, cfg.npop, cfg.nreg, plen );
  put_array( series_stamps );
  for ( const uint64_t st : series_stamps )
  {
    put< double >( static_cast< double >( st ) * cfg.dt );
  }
  put_array( values );
}

// more bytes from the stream: 1 read some, 0 none within POLL_MS, -1 end of
// stream or an error (Python reads the stream next and reports it)
int
fill()
{
  pollfd p { cfg.fd, POLLIN, 0 };
  const int r = poll( &p, 1, POLL_MS );
  if ( r == 0 )
  {
    return 0;
  }
  if ( r < 0 )
  {
    return errno == EINTR ? 0 : -1; // a signal: back to Python, which handles it
  }
  const size_t had = in.size();
  in.resize( had + ( 1 << 16 ) );
  const ssize_t n = recv( cfg.fd, in.data() + had, 1 << 16, MSG_DONTWAIT );
  in.resize( had + ( n > 0 ? n : 0 ) );
  if ( n > 0 or ( n < 0 and ( errno == EAGAIN or errno == EWOULDBLOCK or errno == EINTR ) ) )
  {
    return 1;
  }
  return -1;
}

int
fail( int code, std::string why )
{
  error = std::move( why );
  return code;
}

// writes `out` whole (the socket blocks; the runtime reads while it writes)
bool
send_out()
{
  size_t done = 0;
  while ( done < out.size() )
  {
    const ssize_t n = send( cfg.fd, out.data() + done, out.size() - done, MSG_NOSIGNAL );
    if ( n > 0 )
    {
      done += n;
      continue;
    }
    if ( n < 0 and errno == EINTR )
    {
      continue;
    }
    if ( n < 0 and ( errno == EAGAIN or errno == EWOULDBLOCK ) )
    {
      pollfd p { cfg.fd, POLLOUT, 0 };
      poll( &p, 1, POLL_MS );
      continue;
    }
    error = std::string( "the connection to brainstream broke (" ) + std::strerror( errno ) + ")";
    return false;
  }
  return true;
}

// sets the spike_generator of every proxy train that fired in the window
// to its spike times, each at (stamp + 1) * dt (NEST's time of a spike of
// step `stamp`) rounded to 1e-9 ms as the Python path does
int
set_trains( const char* payload, uint32_t e, const Header& tick )
{
  const uint64_t s0 = tick.start, s1 = tick.start + tick.d0;
  const char* stamps = payload;
  const char* ids = payload + 16 * static_cast< size_t >( e );
  // checked as the Python path checks them: every sender, then every stamp
  uint32_t worst = 0;
  for ( uint32_t i = 0; i < e; ++i )
  {
    worst = std::max( worst, get< uint32_t >( ids + 4 * i ) );
  }
  if ( worst >= cfg.gens.size() )
  {
    return fail( FAILED,
      "spikes_in: sender " + std::to_string( worst ) + " is not a proxy train (< " + std::to_string( cfg.gens.size() )
        + ": " + std::to_string( cfg.gens.size() / std::max( cfg.nreg, 1L ) )
        + " per region here; the graph's proxy generator must send as many per region)" );
  }
  fired.clear();
  for ( uint32_t i = 0; i < e; ++i )
  {
    const uint64_t st = get< uint64_t >( stamps + 8 * i );
    if ( st < s0 or st >= s1 )
    {
      return fail( FAILED, "spikes_in: spikes outside window " + std::to_string( tick.window ) );
    }
    fired.emplace_back( get< uint32_t >( ids + 4 * i ),
      std::nearbyint( static_cast< double >( st + 1 ) * cfg.dt * 1e9 ) / 1e9 );
  }
  std::sort( fired.begin(), fired.end() );
  try
  {
    for ( size_t a = 0; a < fired.size(); )
    {
      size_t b = a;
      std::vector< double > times;
      while ( b < fired.size() and fired[ b ].first == fired[ a ].first )
      {
        times.push_back( fired[ b++ ].second );
      }
      Dictionary d;
      d[ "spike_times" ] = std::move( times );
      nest::set_node_status( cfg.gens[ fired[ a ].first ], d );
      a = b;
    }
  }
  catch ( std::exception& x )
  {
    return fail( NEST_FAILED, std::string( "NEST refused a proxy train's spike times: " ) + x.what() );
  }
  return -1;
}

// sets each region's generator of a series input port (rates_in: the
// inhomogeneous Poisson generator's rate in Hz; current_in: the step
// current generator's amplitude in pA) to the window's samples of the
// port's first variable, each sample of stamp j from (j + 1) * dt on, as
// the Python path does
int
set_series( uint32_t edge, const char* payload, const Header& h, const Header& tick )
{
  const size_t n_s = h.d0, n_v = h.d1, n_n = h.d2;
  if ( n_s == 0 )
  {
    return -1;
  }
  const char* port = edge == RATES_IN ? "rates_in" : "current_in";
  if ( static_cast< long >( n_n ) != cfg.nreg )
  {
    return fail( FAILED,
      std::string( port ) + ": " + std::to_string( n_n ) + " nodes, expected one per region ("
        + std::to_string( cfg.nreg ) + ")" );
  }
  const char* values = payload + 16 * n_s;
  for ( size_t k = 0; k < n_s; ++k )
  {
    for ( size_t r = 0; r < n_n; ++r )
    {
      const double v = get< double >( values + 8 * ( ( k * n_v ) * n_n + r ) );
      if ( not std::isfinite( v ) or ( edge == RATES_IN and v < 0.0 ) )
      {
        return fail( FAILED,
          std::string( port ) + ": negative or non-finite values in window " + std::to_string( tick.window ) );
      }
    }
  }
  std::vector< double > times( n_s );
  for ( size_t k = 0; k < n_s; ++k )
  {
    const uint64_t st = get< uint64_t >( payload + 8 * k );
    times[ k ] = std::nearbyint( static_cast< double >( st + 1 ) * cfg.dt * 1e9 ) / 1e9;
  }
  const std::string t_key = edge == RATES_IN ? "rate_times" : "amplitude_times";
  const std::string v_key = edge == RATES_IN ? "rate_values" : "amplitude_values";
  try
  {
    for ( size_t r = 0; r < n_n; ++r )
    {
      std::vector< double > v( n_s );
      for ( size_t k = 0; k < n_s; ++k )
      {
        v[ k ] = get< double >( values + 8 * ( ( k * n_v ) * n_n + r ) );
      }
      Dictionary d;
      d[ t_key ] = times;
      d[ v_key ] = std::move( v );
      nest::set_node_status( cfg.series_gens[ edge ][ r ], d );
    }
  }
  catch ( std::exception& x )
  {
    return fail( NEST_FAILED, std::string( "NEST refused " ) + port + ": " + x.what() );
  }
  return -1;
}

// the multimeter's samples that arrived in the window (NEST hands a step's
// sample over after the step that follows: a window's last one comes with
// the next window) as the mean V_m per (sample, population, region), summed
// in arrival order, thread by thread, as the Python path sums them
int
put_v_m( const Header& tick )
{
  sample_senders.clear();
  sample_steps.clear();
  sample_values.clear();
  bs::take_samples( sample_senders, sample_steps, sample_values );
  const size_t m = sample_senders.size();
  const long ncell = cfg.npop * cfg.nreg;
  long lo = 0, hi = -1;
  if ( m )
  {
    const auto [ a, b ] = std::minmax_element( sample_steps.begin(), sample_steps.end() );
    lo = *a;
    hi = *b;
    if ( hi - lo > ( 1 << 20 ) )
    {
      return fail( NEST_FAILED,
        "NEST's multimeter handed over samples " + std::to_string( hi - lo ) + " steps apart in window "
          + std::to_string( tick.window ) );
    }
  }
  // the stamps that have samples, ascending; row_of[stamp - lo] their row
  row_of.assign( hi - lo + 1, -1 );
  for ( const long st : sample_steps )
  {
    row_of[ st - lo ] = 0;
  }
  series_stamps.clear();
  for ( size_t j = 0; j < row_of.size(); ++j )
  {
    if ( row_of[ j ] == 0 )
    {
      row_of[ j ] = series_stamps.size();
      series_stamps.push_back( lo + j );
    }
  }
  values.assign( series_stamps.size() * ncell, 0.0 );
  for ( size_t i = 0; i < m; ++i )
  {
    const long s = sample_senders[ i ];
    if ( s < 0 or s >= static_cast< long >( cfg.lut.size() ) or cfg.lut[ s ] < 0 )
    {
      return fail( NEST_FAILED, "a V_m sample of NEST node " + std::to_string( s ) + ", not in the proxy populations" );
    }
    values[ row_of[ sample_steps[ i ] - lo ] * ncell + cfg.cell[ cfg.lut[ s ] ] ] += sample_values[ i ];
  }
  for ( size_t k = 0; k < values.size(); ++k )
  {
    values[ k ] /= cfg.sizes[ ( k % ncell ) / cfg.nreg ];
  }
  put_series( static_cast< uint32_t >( cfg.out_v_m ), tick.window );
  return -1;
}

// after NEST ran the window: its spikes by step, then neuron, as global
// neuron ids, and the population rates per step, framed as the Python path
// frames them: spikes, rates, then the tick
int
answer( const Header& tick )
{
  const uint64_t s0 = tick.start;
  const long n = tick.d0;
  senders.clear();
  steps.clear();
  bs::take_spikes( senders, steps );
  const long ncell = cfg.npop * cfg.nreg;
  counts.assign( n * ncell, 0 );
  by_step.assign( n + 1, 0 );
  for ( size_t i = 0; i < senders.size(); ++i )
  {
    const long s = senders[ i ];
    if ( s < 0 or s >= static_cast< long >( cfg.lut.size() ) or cfg.lut[ s ] < 0 )
    {
      return fail( NEST_FAILED, "a spike of NEST node " + std::to_string( s ) + ", not in the proxy populations" );
    }
    const long k = steps[ i ] - 1 - static_cast< long >( s0 ); // the spike's step within the window
    if ( k < 0 or k >= n )
    {
      return fail( NEST_FAILED,
        "NEST recorded a spike of step " + std::to_string( steps[ i ] - 1 ) + " in window "
          + std::to_string( tick.window ) );
    }
    senders[ i ] = cfg.lut[ s ];
    steps[ i ] = k;
    ++counts[ k * ncell + cfg.cell[ senders[ i ] ] ];
    ++by_step[ k + 1 ];
  }
  for ( long k = 0; k < n; ++k )
  {
    by_step[ k + 1 ] += by_step[ k ];
  }
  const size_t e = senders.size();
  sorted_stamps.resize( e );
  sorted_gids.resize( e );
  for ( size_t i = 0; i < e; ++i )
  {
    const size_t at = by_step[ steps[ i ] ]++;
    sorted_stamps[ at ] = s0 + steps[ i ];
    sorted_gids[ at ] = static_cast< uint32_t >( senders[ i ] );
  }
  // within a step by neuron: NEST's threads hand spikes over in no fixed order
  for ( long k = 0; k < n; ++k )
  {
    std::sort( sorted_gids.begin() + ( k ? by_step[ k - 1 ] : 0 ), sorted_gids.begin() + by_step[ k ] );
  }
  out.clear();
  put_header( SPIKES, 2, cfg.out_spikes, tick.window, s0, static_cast< uint32_t >( e ), 0, 0, 20 * e );
  put_array( sorted_stamps );
  for ( size_t i = 0; i < e; ++i )
  {
    put< double >( static_cast< double >( sorted_stamps[ i ] + 1 ) * cfg.dt );
  }
  put_array( sorted_gids );
  // rates (Hz) at the end of each step: stamps s0 + 1 .. s0 + n
  series_stamps.resize( n );
  values.resize( n * ncell );
  for ( long k = 0; k < n; ++k )
  {
    series_stamps[ k ] = s0 + 1 + k;
    for ( long c = 0; c < ncell; ++c )
    {
      values[ k * ncell + c ] =
        static_cast< double >( counts[ k * ncell + c ] ) * 1000.0 / ( cfg.sizes[ c / cfg.nreg ] * cfg.dt );
    }
  }
  put_series( cfg.out_rates, tick.window );
  if ( cfg.out_v_m >= 0 )
  {
    const int r = put_v_m( tick );
    if ( r >= 0 )
    {
      return r;
    }
  }
  put_header( EMPTY, 0, SESSION_EDGE, tick.window, s0, tick.d0, 0, 0, 0 );
  return send_out() ? -1 : FAILED;
}

int
serve( long* windows, double* run_s, double* first_s )
{
  for ( ;; )
  {
    // the window's messages, up to its tick; offsets, as `in` may move
    size_t at = rd, spikes_at = 0, series_at[ 3 ] = { 0, 0, 0 };
    uint32_t n_spikes = 0;
    Header tick {}, series[ 3 ] {};
    for ( bool ticked = false; not ticked; )
    {
      const size_t have = in.size() - at;
      if ( have >= 4 )
      {
        const uint32_t len = get< uint32_t >( in.data() + at );
        if ( len > MAX_PAYLOAD + HEADER )
        {
          return HANDED_BACK;
        }
        if ( have >= 4 + static_cast< size_t >( len ) )
        {
          Header h;
          if ( not parse( in.data() + at + 4, len, h ) )
          {
            return HANDED_BACK;
          }
          if ( h.kind == SPIKES and h.edge == SPIKES_IN and h.dtype == 2 and h.d1 == 0 and h.d2 == 0
            and h.plen == 20ull * h.d0 )
          {
            spikes_at = at + 4 + HEADER; // a second one replaces the first, as in Python
            n_spikes = h.d0;
          }
          else if ( h.kind == SERIES and ( h.edge == RATES_IN or h.edge == CURRENT_IN ) and h.dtype == 1
            and h.d1 >= 1
            and h.plen == 16 * static_cast< unsigned __int128 >( h.d0 ) + 8 * static_cast< unsigned __int128 >( h.d0 ) * h.d1 * h.d2
            and cfg.meta_v[ h.edge ] == h.d1 and cfg.meta_n[ h.edge ] == h.d2
            and cfg.series_gens[ h.edge ].size() == static_cast< size_t >( cfg.nreg ) )
          {
            series_at[ h.edge ] = at + 4 + HEADER; // a second one replaces the first, as in Python
            series[ h.edge ] = h;
          }
          else if ( h.kind == EMPTY and h.plen == 0 and h.edge == SESSION_EDGE )
          {
            tick = h;
            ticked = true;
          }
          else if ( not( h.kind == EMPTY and h.plen == 0 ) ) // an empty port: nothing to do
          {
            return HANDED_BACK;
          }
          at += 4 + len;
          continue;
        }
      }
      const int r = fill();
      if ( r <= 0 )
      {
        return r == 0 ? IDLE : HANDED_BACK;
      }
    }
    if ( *first_s == 0.0 )
    {
      timespec now;
      clock_gettime( CLOCK_MONOTONIC, &now ); // Python's time.perf_counter
      *first_s = now.tv_sec + 1e-9 * now.tv_nsec;
    }
    if ( n_spikes )
    {
      const int r = set_trains( in.data() + spikes_at, n_spikes, tick );
      if ( r >= 0 )
      {
        return r;
      }
    }
    for ( uint32_t edge : { RATES_IN, CURRENT_IN } )
    {
      if ( series_at[ edge ] )
      {
        const int r = set_series( edge, in.data() + series_at[ edge ], series[ edge ], tick );
        if ( r >= 0 )
        {
          return r;
        }
      }
    }
    const auto t0 = std::chrono::steady_clock::now();
    try
    {
      nest::run( tick.d0 * cfg.dt );
    }
    catch ( std::exception& x )
    {
      return fail( NEST_FAILED, std::string( "NEST failed in window " ) + std::to_string( tick.window ) + ": " + x.what() );
    }
    *run_s += std::chrono::duration< double >( std::chrono::steady_clock::now() - t0 ).count();
    const int r = answer( tick );
    if ( r >= 0 )
    {
      return r;
    }
    ++*windows;
    rd = at;
    // signals that arrived while NEST ran: Python's handlers, at window ends
    if ( PyErr_CheckSignals() != 0 )
    {
      return SIGNALLED;
    }
    if ( rd == in.size() )
    {
      in.clear();
      rd = 0;
    }
    else if ( rd > ( 1u << 20 ) )
    {
      in.erase( in.begin(), in.begin() + rd );
      rd = 0;
    }
  }
}
}

// the interface: fd the session's stream socket; dt in ms; gens[k] the
// NEST node id of proxy train k; rate_gens[r] and current_gens[r] region
// r's inhomogeneous Poisson and step current generators (none: null);
// lut[node id] the global neuron index (-1: none); cell[neuron] its
// population * nreg + region; sizes[p] neurons of population p; the output
// edges of spikes, rates and v_m (-1: no v_m)
extern "C" void
bs_loop_configure( int fd,
  double dt,
  long n_gens,
  const long* gens,
  const long* rate_gens,
  const long* current_gens,
  long n_lut,
  const long* lut,
  long n_neurons,
  const long* cell,
  long npop,
  long nreg,
  const double* sizes,
  long out_spikes,
  long out_rates,
  long out_v_m )
{
  cfg.fd = fd;
  cfg.dt = dt;
  cfg.gens.assign( gens, gens + n_gens );
  cfg.series_gens[ RATES_IN ].clear();
  cfg.series_gens[ CURRENT_IN ].clear();
  if ( rate_gens )
  {
    cfg.series_gens[ RATES_IN ].assign( rate_gens, rate_gens + nreg );
  }
  if ( current_gens )
  {
    cfg.series_gens[ CURRENT_IN ].assign( current_gens, current_gens + nreg );
  }
  for ( int e = 0; e < 3; ++e )
  {
    cfg.meta_v[ e ] = cfg.meta_n[ e ] = -1;
  }
  cfg.lut.assign( lut, lut + n_lut );
  cfg.cell.assign( cell, cell + n_neurons );
  cfg.npop = npop;
  cfg.nreg = nreg;
  cfg.sizes.assign( sizes, sizes + npop );
  cfg.out_spikes = static_cast< uint32_t >( out_spikes );
  cfg.out_rates = static_cast< uint32_t >( out_rates );
  cfg.out_v_m = out_v_m;
}

// what the names (meta message) of series input port `edge` say
extern "C" void
bs_loop_meta( long edge, long variables, long nodes )
{
  if ( edge >= 0 and edge < 3 )
  {
    cfg.meta_v[ edge ] = variables;
    cfg.meta_n[ edge ] = nodes;
  }
}

// serves windows until something is Python's to handle: HANDED_BACK (0),
// IDLE (1), FAILED (2), NEST_FAILED (3), SIGNALLED (4: the handler's
// exception is set, and ctypes raises it). `pending`: bytes Python had read
// but not consumed. Adds the windows served and NEST's run time (s); sets
// first_s, where 0, to the CLOCK_MONOTONIC time the first window began.
extern "C" int
bs_serve( const char* pending, long n_pending, long* windows, double* run_s, double* first_s )
{
  int code;
  try
  {
    in.assign( pending, pending + n_pending );
    rd = 0;
    code = serve( windows, run_s, first_s );
  }
  catch ( std::exception& x ) // e.g. memory for a window of absurd length
  {
    code = fail( FAILED, std::string( "the window loop failed: " ) + x.what() );
  }
  leftover.assign( in.begin() + rd, in.end() );
  in.clear();
  rd = 0;
  return code;
}

extern "C" long
bs_leftover_size()
{
  return static_cast< long >( leftover.size() );
}

extern "C" const char*
bs_leftover()
{
  return leftover.data();
}

extern "C" const char*
bs_error()
{
  return error.c_str();
}
