//! The receiving side of the fan-out runs, kept as lean as it can be.
//!
//! The generator shares the machine's two cores with the server, so every
//! microsecond it spends per frame is a microsecond the server cannot use,
//! and shows up as latency. One task per socket on a work-stealing runtime,
//! a timer per read and a general WebSocket codec cost several times what
//! reading needs. So, once a socket is connected and authenticated, its
//! file descriptor is handed to a plain thread with one epoll set (mio) that
//! reads whatever arrived, splits it into frames and checks each text
//! frame for a stamp. Server frames are never masked and never fragmented
//! by Parley or the baseline, which is all this reader has to understand.

use std::io::{ErrorKind, Read};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use crate::client::Socket;

/// Tells a stamped frame's latency in µs (`None`: not a stamp).
pub type Stamp = fn(Instant, &str) -> Option<u64>;

/// A socket detached from its WebSocket codec, ready for [`read_all`].
pub struct Detached(std::net::TcpStream);

/// Takes the TCP connection out of an open WebSocket (through a duplicate
/// descriptor; the codec and its original descriptor are dropped).
pub fn detach(socket: Socket) -> anyhow::Result<Detached> {
    let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = socket.get_ref() else {
        anyhow::bail!("only plain ws:// sockets can be detached");
    };
    let dup = socket2::SockRef::from(tcp).try_clone()?;
    dup.set_nonblocking(true)?;
    Ok(Detached(dup.into()))
}

/// Reads every socket until each has seen `expect` stamps or `until`; one
/// thread, one epoll set. Returns the latencies, one list per socket.
pub fn read_all(
    sockets: Vec<Detached>,
    epoch: Instant,
    expect: usize,
    until: Instant,
    stamp: Stamp,
) -> std::thread::JoinHandle<anyhow::Result<Vec<Vec<u64>>>> {
    std::thread::spawn(move || {
        let mut poll = Poll::new()?;
        let mut conns = Vec::with_capacity(sockets.len());
        for (i, Detached(s)) in sockets.into_iter().enumerate() {
            let mut s = TcpStream::from_std(s);
            poll.registry()
                .register(&mut s, Token(i), Interest::READABLE)?;
            conns.push(Conn {
                stream: s,
                pending: Vec::new(),
                latencies: Vec::with_capacity(expect.min(4096)),
                open: true,
            });
        }
        let mut unfinished = conns.len();
        let mut events = Events::with_capacity(1024);
        let mut buf = vec![0u8; 64 * 1024];
        while unfinished > 0 {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            poll.poll(&mut events, Some(left.min(Duration::from_millis(200))))?;
            for ev in events.iter() {
                let Some(c) = conns.get_mut(ev.token().0) else {
                    continue;
                };
                let before = c.done(expect);
                c.drain(&mut buf, epoch, stamp);
                if !before && c.done(expect) {
                    unfinished -= 1;
                }
            }
        }
        Ok(conns.into_iter().map(|c| c.latencies).collect())
    })
}

struct Conn {
    stream: TcpStream,
    /// Bytes of a frame not complete yet.
    pending: Vec<u8>,
    latencies: Vec<u64>,
    open: bool,
}

impl Conn {
    fn done(&self, expect: usize) -> bool {
        !self.open || self.latencies.len() >= expect
    }

    /// Reads until the socket would block (edge-triggered), then scans.
    fn drain(&mut self, buf: &mut [u8], epoch: Instant, stamp: Stamp) {
        loop {
            match self.stream.read(buf) {
                Ok(0) => {
                    self.open = false;
                    break;
                }
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.open = false;
                    break;
                }
            }
        }
        let used = scan_frames(&self.pending, |payload| {
            if let Ok(text) = std::str::from_utf8(payload) {
                self.latencies.extend(stamp(epoch, text));
            }
        });
        self.pending.drain(..used);
    }
}

/// Calls `text` with the payload of every complete text frame in `bytes`;
/// returns how many bytes those complete frames took.
fn scan_frames(bytes: &[u8], mut text: impl FnMut(&[u8])) -> usize {
    let mut at = 0;
    while let Some((header, len)) = frame_len(&bytes[at..]) {
        let end = at + header + len;
        if end > bytes.len() {
            break;
        }
        if bytes[at] & 0x0f == 0x1 {
            text(&bytes[at + header..end]);
        }
        at = end;
    }
    at
}

/// (header size, payload size) of an unmasked frame, once its header is in.
fn frame_len(b: &[u8]) -> Option<(usize, usize)> {
    match *b.get(1)? & 0x7f {
        126 => Some((4, u16::from_be_bytes([*b.get(2)?, *b.get(3)?]) as usize)),
        127 => {
            let raw: [u8; 8] = b.get(2..10)?.try_into().ok()?;
            Some((10, usize::try_from(u64::from_be_bytes(raw)).ok()?))
        }
        n => Some((2, n as usize)),
    }
}

/// Splits `sockets` into `threads` readers; latencies of all of them.
pub fn read_split(
    sockets: Vec<Detached>,
    threads: usize,
    epoch: Instant,
    expect: usize,
    until: Instant,
    stamp: Stamp,
) -> Vec<std::thread::JoinHandle<anyhow::Result<Vec<Vec<u64>>>>> {
    let threads = threads.max(1);
    let mut shares: Vec<Vec<Detached>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, s) in sockets.into_iter().enumerate() {
        shares[i % threads].push(s);
    }
    shares
        .into_iter()
        .map(|share| read_all(share, epoch, expect, until, stamp))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_split_and_partial_ones_kept() {
        let mut bytes = vec![0x81, 3, b'a', b'b', b'c', 0x89, 0]; // text, ping
        let long = vec![b'x'; 300];
        bytes.extend([0x81, 126, 1, 44]);
        bytes.extend(&long);
        bytes.extend([0x81, 5, b'p']); // incomplete
        let mut seen = Vec::new();
        let used = scan_frames(&bytes, |p| seen.push(p.len()));
        assert_eq!(seen, vec![3, 300]);
        assert_eq!(used, bytes.len() - 3);
    }
}
