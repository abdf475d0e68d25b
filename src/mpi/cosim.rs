//! `mpirun -n P brainstream run GRAPH`: rank `r` runs partition `r` — the
//! graph's partitions (`process = "NAME"`) in name order, as the launcher
//! lists them; P must be their count.
//!
//! Before any actor starts, through MPI (collectives on the main thread):
//! - rank 0 draws the run's token and key (`BRAINSTREAM_RUN_TOKEN`,
//!   `BRAINSTREAM_RUN_KEY` of a launcher's partitions) and broadcasts them;
//! - every rank says its host (name and address: `BRAINSTREAM_HOST_ADDRESS`,
//!   else its host name's address, preferring one that is not loopback);
//! - for each edge between two ranks that names no `endpoint`, the consuming
//!   rank (the binding end) takes a free tcp port on its address, and every
//!   rank learns `tcp://ADDRESS:PORT` (all-gather): the edge then runs over
//!   ZeroMQ tcp, authenticated with the run key (`docs/design.md`), as an
//!   edge with that endpoint in the graph would. An edge with
//!   `transport = "shm"` stays on shared memory when both ranks share a
//!   host, and is refused otherwise. An edge with `transport = "mpi"` is
//!   carried by MPI messages (`edges.rs`), through a pump thread started
//!   here. The endpoints go into the built graph,
//!   not its text: the graph's hash, and so every recording's provenance,
//!   is the one-process run's.
//!
//! Then every rank runs as a partition started by hand; windows cross the
//! edges as between any partitions, so the recordings are the one-process
//! run's bits. A rank that fails sends its error across its edges (the
//! others stop naming it) and exits non-zero, and mpirun then stops every
//! rank. A rank killed outright is named at once by the others ([`Watch`]:
//! a tcp connection between every two ranks, closed without its `end`),
//! and mpirun stops them (under a launcher that does not, their edges'
//! ZeroMQ heartbeats do, within 3 s).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, TcpListener, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use brainstream::runtime::graph::descriptor::Transport;
use brainstream::ValidGraph;

use super::edges::{MpiEdges, Pump};
use super::Ranks;

/// The run key rank 0 drew, once [`prepare`] ran.
static RUN_KEY: OnceLock<String> = OnceLock::new();

/// The run key handed out through MPI (None: not under MPI).
pub fn run_key() -> Option<String> {
    RUN_KEY.get().cloned()
}

/// What carries the `transport = "mpi"` edges, once [`prepare`] started it.
static CARRIER: OnceLock<Arc<MpiEdges>> = OnceLock::new();

/// The carrier of the run's `transport = "mpi"` edges (None: it has none,
/// or is not under MPI).
pub fn edge_carrier() -> Option<Arc<dyn brainstream::runtime::transport::EdgeCarrier>> {
    CARRIER
        .get()
        .map(|c| c.clone() as Arc<dyn brainstream::runtime::transport::EdgeCarrier>)
}

/// This host's name and the address its edges bind on.
fn host() -> Result<(String, IpAddr), String> {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let name = if rc == 0 {
        let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "localhost".to_string()
    };
    if let Ok(a) = std::env::var("BRAINSTREAM_HOST_ADDRESS") {
        let ip = a.trim().parse::<IpAddr>().map_err(|_| {
            format!("BRAINSTREAM_HOST_ADDRESS={a} is not an IP address (e.g. 10.1.2.3)")
        })?;
        return Ok((name, ip));
    }
    let addrs: Vec<IpAddr> = (name.as_str(), 0)
        .to_socket_addrs()
        .map(|it| it.map(|s| s.ip()).collect())
        .unwrap_or_default();
    let ip = addrs
        .iter()
        .find(|a| a.is_ipv4() && !a.is_loopback())
        .or_else(|| addrs.iter().find(|a| !a.is_loopback()))
        .or_else(|| addrs.first())
        .copied()
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    Ok((name, ip))
}

/// What [`prepare`] settled for this rank.
pub struct Part {
    /// The partition it runs.
    pub partition: String,
    /// The run's token (names shared-memory files and private sockets).
    pub token: String,
    /// Watches the other ranks until dropped (after the run).
    pub watch: Watch,
}

/// One tcp connection to every other rank, opened before the run: a rank
/// that ends says so on each (`end`) as this value drops; a connection
/// that closes without it is a rank that died (killed, crashed), which the
/// watching rank says at once — `rank r of P (partition NAME on HOST)
/// died` — before mpirun stops the others (a rank's own error crosses the
/// edges instead, and each rank names it). It also holds the pump of the
/// MPI edges, stopped as it drops (before MPI is finalized).
pub struct Watch {
    peers: Vec<std::net::TcpStream>,
    _pump: Option<Pump>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        use std::io::Write;
        for p in &mut self.peers {
            let _ = p.write_all(b"end\n");
        }
    }
}

/// Opens the watch connections: every rank listens, every pair connects
/// once (the higher rank to the lower), and a thread per connection waits
/// for the peer's end. `who[r]`: what to call rank `r`; `dead[r]` is set
/// when rank `r` dies (the MPI edges to it then fail naming it).
fn watch(
    r: &Ranks,
    ip: IpAddr,
    who: &[String],
    dead: Arc<Vec<AtomicBool>>,
) -> Result<Watch, String> {
    use std::io::{BufRead, Write};
    let l = TcpListener::bind((ip, 0))
        .map_err(|e| format!("cannot take a tcp port on {ip} to watch the other ranks: {e}"))?;
    let addr = l.local_addr().map_err(|e| e.to_string())?.to_string();
    let addrs: Vec<String> = r
        .all_gather(addr.as_bytes())
        .into_iter()
        .map(|a| String::from_utf8_lossy(&a).into_owned())
        .collect();
    let mut peers = vec![];
    for (k, a) in addrs.iter().enumerate().take(r.rank) {
        let mut s = std::net::TcpStream::connect(a.as_str())
            .map_err(|e| format!("cannot reach rank {k} at {a} to watch it: {e}"))?;
        s.write_all(format!("{}\n", r.rank).as_bytes())
            .map_err(|e| format!("cannot reach rank {k} at {a}: {e}"))?;
        peers.push((k, s));
    }
    for _ in r.rank + 1..r.size {
        let (s, from) = l
            .accept()
            .map_err(|e| format!("waiting for the other ranks on {addr}: {e}"))?;
        let mut line = String::new();
        std::io::BufReader::new(&s)
            .read_line(&mut line)
            .map_err(|e| format!("rank at {from}: {e}"))?;
        let k: usize = line.trim().parse().map_err(|_| {
            format!(
                "{from} is not a rank of this run (it said `{}`)",
                line.trim()
            )
        })?;
        peers.push((k, s));
    }
    let me = who[r.rank].clone();
    let mut kept = vec![];
    for (k, s) in peers {
        let reader = s.try_clone().map_err(|e| e.to_string())?;
        let (them, me, dead) = (who[k].clone(), me.clone(), dead.clone());
        std::thread::Builder::new()
            .name(format!("watch-rank-{k}"))
            .spawn(move || {
                let mut line = String::new();
                let ended = std::io::BufReader::new(reader)
                    .read_line(&mut line)
                    .is_ok_and(|n| n > 0 && line.trim() == "end");
                if !ended {
                    eprintln!("error: {them} died; {me} stops (mpirun stops every rank)");
                    if let Some(d) = dead.get(k) {
                        d.store(true, Ordering::SeqCst);
                    }
                }
            })
            .map_err(|e| format!("cannot start a thread: {e}"))?;
        kept.push(s);
    }
    Ok(Watch {
        peers: kept,
        _pump: None,
    })
}

/// Sets this rank's partition, the run's token and key, and the tcp
/// endpoints of the edges between ranks (a collective: every rank calls
/// it with the same graph).
pub fn prepare(r: &Ranks, g: &mut ValidGraph) -> Result<Part, String> {
    let parts = g.partitions();
    if parts.len() != r.size {
        return Err(format!(
            "mpirun -n {}: the graph has {} ({}); run it with -n {} (rank r runs the r-th in name order)",
            r.size,
            match parts.len() {
                1 => "1 partition".to_string(),
                n => format!("{n} partitions"),
            },
            parts.join(", "),
            parts.len()
        ));
    }
    let rank_of: BTreeMap<&str, usize> = parts
        .iter()
        .enumerate()
        .map(|(k, p)| (p.as_str(), k))
        .collect();
    // the run's token and key, from rank 0
    let mine = if r.rank == 0 {
        format!(
            "{}\n{}",
            brainstream::runtime::seed::run_token(),
            brainstream::runtime::transport::RunKey::random_text()
        )
    } else {
        String::new()
    };
    let shared = String::from_utf8_lossy(&r.broadcast(mine.into_bytes())).into_owned();
    let (token, key) = shared
        .split_once('\n')
        .ok_or("rank 0 sent no run token (please report)")?;
    let _ = RUN_KEY.set(key.to_string());
    // hosts
    let (name, ip) = host()?;
    let hosts: Vec<String> = r
        .all_gather(name.as_bytes())
        .into_iter()
        .map(|h| String::from_utf8_lossy(&h).into_owned())
        .collect();
    // the edges this rank binds: a free port each
    let rank = |actor: usize| rank_of[g.actors[actor].process.as_str()];
    let mut listeners = vec![];
    let mut lines = String::new();
    for (k, e) in g.edges.iter().enumerate() {
        let (from, to) = (rank(e.from), rank(e.to));
        if from == to || to != r.rank || e.endpoint.is_some() || e.transport == Transport::Mpi {
            continue;
        }
        if e.transport == Transport::Shm {
            if hosts[from] != hosts[to] {
                return Err(format!(
                    "edges[{k}] ({} → {}) asks for transport = \"shm\" between rank {from} on {} and rank {to} on {}: shared memory needs one host; use zmq",
                    g.actors[e.from].name, g.actors[e.to].name, hosts[from], hosts[to]
                ));
            }
            continue;
        }
        let l = TcpListener::bind((ip, 0))
            .map_err(|er| format!("edges[{k}]: cannot take a tcp port on {ip}: {er}"))?;
        let port = l.local_addr().map_err(|er| er.to_string())?.port();
        let host = match ip {
            IpAddr::V6(v6) => format!("[{v6}]"),
            v4 => v4.to_string(),
        };
        lines.push_str(&format!("{k} tcp://{host}:{port}\n"));
        listeners.push(l);
    }
    let all = r.all_gather(lines.as_bytes());
    // the ports are free again for ZeroMQ to bind (the consumer binds them
    // as its partition starts, before anything else of this run takes ports)
    drop(listeners);
    for (from_rank, text) in all.iter().enumerate() {
        for line in String::from_utf8_lossy(text).lines() {
            let (k, ep) = line
                .split_once(' ')
                .and_then(|(k, ep)| Some((k.parse::<usize>().ok()?, ep)))
                .ok_or_else(|| {
                    format!("rank {from_rank} sent an unreadable endpoint `{line}` (please report)")
                })?;
            let e = g
                .edges
                .get_mut(k)
                .ok_or_else(|| format!("rank {from_rank} named edge {k}, which this graph lacks: do the ranks read the same graph?"))?;
            e.endpoint = Some(ep.to_string());
            tracing::info!(edge = k, endpoint = ep, "edge between ranks");
        }
    }
    let who: Vec<String> = (0..r.size)
        .map(|k| {
            format!(
                "rank {k} of {} (partition `{}` on {})",
                r.size, parts[k], hosts[k]
            )
        })
        .collect();
    let dead: Arc<Vec<AtomicBool>> =
        Arc::new((0..r.size).map(|_| AtomicBool::new(false)).collect());
    let mut watch = watch(r, ip, &who, dead.clone())?;
    // the edges MPI carries: a pump thread on a communicator of their own
    // (every rank decides alike: the graph is the same)
    if let Some((k, e)) = g
        .edges
        .iter()
        .enumerate()
        .find(|(_, e)| e.transport == Transport::Mpi)
    {
        if !r.serialized {
            return Err(format!(
                "edges[{k}] ({} → {}) asks for transport = \"mpi\", and this MPI library \
                 gives no MPI_THREAD_SERIALIZED (the edges' messages go on a thread of their \
                 own): use transport = \"zmq\"",
                g.actors[e.from].name, g.actors[e.to].name
            ));
        }
        use mpi::raw::AsRaw;
        let rank_of = rank_of.iter().map(|(p, k)| (p.to_string(), *k)).collect();
        let pump = Pump::start(r.world.as_raw(), rank_of, who.clone(), dead)?;
        let _ = CARRIER.set(pump.carrier());
        watch._pump = Some(pump);
    }
    let partition = parts[r.rank].clone();
    tracing::info!(rank = r.rank, partition = %partition, host = %hosts[r.rank], address = %ip, "MPI co-simulation");
    Ok(Part {
        partition,
        token: token.to_string(),
        watch,
    })
}
