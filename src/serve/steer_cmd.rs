//! `brainstream steer URL KEY=VALUE…`: asks a run served with `--serve`
//! to change parameters (or to pause, resume), as the page does.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// `http://HOST:PORT/?token=T` (the URL `--serve` printed) → (host:port, token).
fn parse_url(url: &str) -> Result<(String, String), String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        format!(
            "`{url}`: give the URL `brainstream run --serve` printed (http://HOST:PORT/?token=…)"
        )
    })?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let token = path
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .find_map(|p| p.strip_prefix("token="))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            format!(
                "`{url}`: the URL has no token (…/?token=…): copy the whole URL `--serve` printed"
            )
        })?;
    Ok((host.to_string(), token.to_string()))
}

/// POSTs `body` to `path` of the run at `url`; the answer's status and body.
fn post(url: &str, path: &str, body: &str) -> Result<(u16, String), String> {
    let (host, token) = parse_url(url)?;
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut c = TcpStream::connect(&host)
        .map_err(|e| format!("{host}: cannot connect ({e}): has the run ended?"))?;
    c.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(
        c,
        "POST {path}{sep}token={token} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| format!("{host}: {e}"))?;
    let mut answer = String::new();
    c.read_to_string(&mut answer)
        .map_err(|e| format!("{host}: {e}"))?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{host}: not an HTTP answer"))?;
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Ok((status, body))
}

/// Sends each change (and a pause or resume, first); prints what the run
/// answered; the first refusal is the error.
pub fn steer(
    url: &str,
    changes: &[String],
    pause: bool,
    resume: bool,
) -> Result<Vec<String>, String> {
    if changes.is_empty() && !pause && !resume {
        return Err(
            "give KEY=VALUE (e.g. brain.coupling_params.a=0.03), --pause or --resume".into(),
        );
    }
    let mut said = vec![];
    // a pause first, a resume last: changes sent together apply before the
    // same window
    let simple = |path: &str, said: &mut Vec<String>| -> Result<(), String> {
        let (st, _) = post(url, path, "")?;
        match st {
            200 => {
                said.push(format!("{}d", &path[1..]));
                Ok(())
            }
            403 => Err(format!("{url}: wrong token (the run refused it)")),
            _ => Err(format!("{path}: the run answered {st}")),
        }
    };
    if pause {
        simple("/pause", &mut said)?;
    }
    for c in changes {
        let (st, body) = post(url, "/steer?source=steer", c)?;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        match (st, v.get("message"), v.get("error")) {
            (200, Some(m), _) => said.push(m.as_str().unwrap_or_default().to_string()),
            (_, _, Some(e)) => return Err(e.as_str().unwrap_or_default().to_string()),
            (403, _, _) => return Err(format!("{url}: wrong token (the run refused it)")),
            _ => return Err(format!("{c}: the run answered {st}: {body}")),
        }
    }
    if resume {
        simple("/resume", &mut said)?;
    }
    Ok(said)
}
