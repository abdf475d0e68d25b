//! The live view's HTTP and WebSocket server: std::net, one thread per
//! connection, tungstenite for the WebSocket frames (see docs/design.md,
//! "Live view", for why not an async stack).
//!
//! Every request must carry the run's token (`?token=…`, 32 random hex
//! digits printed with the URL); others get 403. Routes:
//! - `GET /` the page (embedded: no external assets);
//! - `GET /data?nodes=0,3` everything so far as JSON (what the page draws);
//! - `GET /ws?nodes=0,3` a WebSocket: the same JSON, then every
//!   `PUSH_MS` what is new since (decimated: see [`super::live`]);
//! - `POST /steer` with body `ACTOR.PARAMETER=VALUE`, `POST /pause`,
//!   `POST /resume`: see [`super::control`].

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tungstenite::protocol::{Role, WebSocket};
use tungstenite::Message;

use super::control::Control;
use super::live::{Cursor, Live};

/// How often a WebSocket gets what is new, ms.
pub const PUSH_MS: u64 = 500;
/// Connections served at once; more wait in the listen queue.
const MAX_CONNECTIONS: usize = 32;
/// The largest request head read, bytes.
const MAX_HEAD: usize = 16 * 1024;
/// The largest request body read (a steering command), bytes.
const MAX_BODY: usize = 4096;

/// The page, with everything it needs inline.
const PAGE: &str = include_str!("page.html");

/// A running server; stops (its listener) when dropped.
pub struct Server {
    pub addr: SocketAddr,
    pub token: String,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// The URL to open.
    pub fn url(&self) -> String {
        format!("http://{}/?token={}", self.addr, self.token)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // wakes the accept loop
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

/// Binds `addr` (port 0: any free one) and serves `live` and `control`
/// from a thread of its own.
pub fn start(addr: &str, live: Live, control: Arc<Control>) -> Result<Server, String> {
    let listener =
        TcpListener::bind(addr).map_err(|e| format!("--serve {addr}: cannot listen: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("--serve {addr}: {e}"))?;
    let token = {
        use rand::RngCore;
        let mut b = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut b);
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let (st, tk) = (stop.clone(), token.clone());
    let open = Arc::new(AtomicUsize::new(0));
    std::thread::Builder::new()
        .name("serve".into())
        .spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                if open.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
                    let _ = respond(&conn, 503, "text/plain", b"too many connections");
                    continue;
                }
                open.fetch_add(1, Ordering::SeqCst);
                let (live, control, tk, st, open) = (
                    live.clone(),
                    control.clone(),
                    tk.clone(),
                    st.clone(),
                    open.clone(),
                );
                let spawned =
                    std::thread::Builder::new()
                        .name("serve-conn".into())
                        .spawn(move || {
                            if let Err(e) = handle(conn, &live, &control, &tk, &st) {
                                tracing::debug!("live view connection: {e}");
                            }
                            open.fetch_sub(1, Ordering::SeqCst);
                        });
                if spawned.is_err() {
                    tracing::warn!("live view: cannot spawn a connection thread");
                }
            }
        })
        .map_err(|e| format!("--serve: cannot spawn the server thread: {e}"))?;
    Ok(Server {
        addr: local,
        token,
        stop,
    })
}

/// A request's method, path, query pairs, headers and body.
struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: String,
}

impl Request {
    fn query(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
    }
    fn header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
}

/// `%XX` and `+` decoded.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 3 <= b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn read_request(conn: &TcpStream) -> Result<Request, String> {
    let mut r = BufReader::new(conn.take((MAX_HEAD + MAX_BODY) as u64));
    let mut line = String::new();
    r.read_line(&mut line).map_err(|e| e.to_string())?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let mut headers = vec![];
    let mut head = line.len();
    loop {
        let mut h = String::new();
        let k = r.read_line(&mut h).map_err(|e| e.to_string())?;
        head += k;
        if k == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if head > MAX_HEAD {
            return Err("request head too large".into());
        }
        if let Some((a, b)) = h.split_once(':') {
            headers.push((a.trim().to_string(), b.trim().to_string()));
        }
    }
    let (path, q) = target.split_once('?').unwrap_or((&target, ""));
    let query = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (a, b) = p.split_once('=').unwrap_or((p, ""));
            (unescape(a), unescape(b))
        })
        .collect();
    let mut req = Request {
        method,
        path: path.to_string(),
        query,
        headers,
        body: String::new(),
    };
    let len: usize = req
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if len > MAX_BODY {
        return Err("request body too large".into());
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).map_err(|e| e.to_string())?;
    req.body = String::from_utf8_lossy(&body).into_owned();
    Ok(req)
}

fn respond(mut conn: &TcpStream, status: u16, ty: &str, body: &[u8]) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        _ => "Service Unavailable",
    };
    write!(
        conn,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ty}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    conn.write_all(body)?;
    conn.flush()
}

fn respond_json(conn: &TcpStream, status: u16, v: &serde_json::Value) -> std::io::Result<()> {
    respond(conn, status, "application/json", v.to_string().as_bytes())
}

/// Node indices from `nodes=0,3,5` (none: the default choice).
fn nodes_of(req: &Request) -> Vec<usize> {
    req.query("nodes")
        .unwrap_or("")
        .split(',')
        .filter_map(|x| x.trim().parse().ok())
        .take(64)
        .collect()
}

/// Who asks for a change (`?source=steer` from `brainstream steer`), as the
/// events file records it: `page` unless said otherwise.
fn source(req: &Request) -> &str {
    match req.query("source") {
        Some(s)
            if !s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            s
        }
        _ => "page",
    }
}

/// Whether two strings are equal, looking at every byte.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn handle(
    conn: TcpStream,
    live: &Live,
    control: &Control,
    token: &str,
    stop: &AtomicBool,
) -> Result<(), String> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    conn.set_write_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let req = read_request(&conn)?;
    let io = |e: std::io::Error| e.to_string();
    if !req.query("token").is_some_and(|t| same(t, token)) {
        return respond(
            &conn,
            403,
            "text/plain",
            b"this run's token is missing or wrong: open the URL brainstream printed",
        )
        .map_err(io);
    }
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/") => {
            respond(&conn, 200, "text/html; charset=utf-8", PAGE.as_bytes()).map_err(io)
        }
        ("GET", "/data") => {
            let v = live.since(&mut Cursor::default(), &nodes_of(&req));
            respond_json(&conn, 200, &v).map_err(io)
        }
        ("GET", "/events") => respond_json(&conn, 200, &json!(control.events())).map_err(io),
        ("GET", "/ws") => websocket(conn, &req, live, stop),
        ("POST", "/pause") => {
            control.pause(true);
            respond_json(&conn, 200, &json!({"paused": true})).map_err(io)
        }
        ("POST", "/resume") => {
            control.pause(false);
            respond_json(&conn, 200, &json!({"paused": false})).map_err(io)
        }
        ("POST", "/steer") => match control.request(req.body.trim(), source(&req)) {
            Ok(m) => respond_json(&conn, 200, &json!({"ok": true, "message": m})).map_err(io),
            Err(m) => respond_json(&conn, 400, &json!({"ok": false, "error": m})).map_err(io),
        },
        (_, "/" | "/data" | "/events" | "/ws" | "/pause" | "/resume" | "/steer") => {
            respond(&conn, 405, "text/plain", b"method not allowed").map_err(io)
        }
        _ => respond(&conn, 404, "text/plain", b"not found").map_err(io),
    }
}

/// The WebSocket: everything so far, then what is new every `PUSH_MS`,
/// until the client closes or the server stops.
fn websocket(conn: TcpStream, req: &Request, live: &Live, stop: &AtomicBool) -> Result<(), String> {
    let key = req
        .header("sec-websocket-key")
        .ok_or("a WebSocket request without Sec-WebSocket-Key")?;
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    (&conn)
        .write_all(
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            )
            .as_bytes(),
        )
        .map_err(|e| e.to_string())?;
    conn.set_read_timeout(Some(Duration::from_millis(PUSH_MS)))
        .map_err(|e| e.to_string())?;
    let nodes = nodes_of(req);
    let mut ws = WebSocket::from_raw_socket(conn, Role::Server, None);
    let mut cursor = Cursor::default();
    let mut last = Instant::now() - Duration::from_secs(1);
    loop {
        if stop.load(Ordering::SeqCst) {
            let _ = ws.close(None);
            let _ = ws.flush();
            return Ok(());
        }
        if last.elapsed() >= Duration::from_millis(PUSH_MS) {
            last = Instant::now();
            let v = live.since(&mut cursor, &nodes);
            ws.send(Message::text(v.to_string()))
                .map_err(|e| e.to_string())?;
        }
        match ws.read() {
            Ok(Message::Close(_)) => return Ok(()),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                return Ok(())
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}
