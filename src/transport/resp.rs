//! The socket and the RESP2 wire format, as far as this client needs them.
//!
//! Why not `redis::Connection`: it can neither write a command header followed by the caller's bytes without
//! packing both into one buffer, nor read a bulk reply into a caller-owned buffer. So the socket is ours; commands
//! are still built with `redis::Cmd` and replies are `redis::Value`s, except for the tensor payloads, which go
//! from the caller's buffer to the socket ([`BufStream::send_vectored`]) and from the socket into the destination
//! ([`BufStream::read_exact_into`], [`BufStream::read_chunks`]).

use std::io::{self, IoSlice, Read};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

use redis::Value;

/// Size of the read buffer of a connection. Payloads larger than what it holds bypass it.
pub(crate) const READ_BUF: usize = 64 * 1024;

/// Payloads up to this size are copied next to their header and sent with one `send`; larger ones are sent from
/// the caller's memory with `sendmsg`.
pub(crate) const SMALL_PAYLOAD: usize = 16 * 1024;

/// The most slices one `sendmsg` takes (Linux's `IOV_MAX`).
const IOV_MAX: usize = 1024;

/// How deeply arrays may nest in a reply (the reader recurses once per level).
const MAX_DEPTH: usize = 128;

/// A connected socket.
#[derive(Debug)]
pub enum Stream {
    /// TCP (with `TCP_NODELAY`).
    Tcp(TcpStream),
    /// Unix domain socket.
    Unix(UnixStream),
    /// TLS over TCP.
    Tls(Box<super::tls::TlsStream>),
}

impl Stream {
    fn fd(&self) -> i32 {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
            Stream::Tls(s) => s.sock.0.as_raw_fd(),
        }
    }

    /// Sets the read and write timeouts (a slow reply is waited for this long, never re-sent).
    pub fn set_timeouts(&self, t: std::time::Duration) -> io::Result<()> {
        let t = Some(t.max(std::time::Duration::from_millis(1)));
        match self {
            Stream::Tcp(s) => {
                s.set_read_timeout(t)?;
                s.set_write_timeout(t)
            }
            Stream::Unix(s) => {
                s.set_read_timeout(t)?;
                s.set_write_timeout(t)
            }
            Stream::Tls(s) => {
                s.sock.0.set_read_timeout(t)?;
                s.sock.0.set_write_timeout(t)
            }
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

/// One element header of a RESP2 reply.
#[derive(Debug, PartialEq, Eq)]
pub enum Header {
    /// `+text`
    Simple(String),
    /// `-text`
    Error(String),
    /// `:n`
    Int(i64),
    /// `$len` (`None` for `$-1`)
    Bulk(Option<usize>),
    /// `*len` (`None` for `*-1`)
    Array(Option<usize>),
}

/// Errors while reading a reply.
#[derive(Debug)]
pub enum ReplyError {
    /// The socket failed (dropped, timed out): the connection must be discarded.
    Io(io::Error),
    /// The bytes are not RESP: the connection must be discarded.
    Protocol(String),
    /// The server answered with an error reply; the connection is in sync.
    Server(String),
    /// The reply was read completely but is not what the caller can use (type or shape mismatch).
    Invalid(crate::Error),
}

impl From<io::Error> for ReplyError {
    fn from(e: io::Error) -> Self {
        ReplyError::Io(e)
    }
}

/// A socket with a read buffer.
#[derive(Debug)]
pub struct BufStream {
    stream: Stream,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// The socket's read/write timeout as last set (`None`: never set here).
    timeout: Option<std::time::Duration>,
}

impl BufStream {
    /// Wraps a connected socket.
    pub fn new(stream: Stream) -> Self {
        BufStream {
            stream,
            buf: vec![0u8; READ_BUF].into_boxed_slice(),
            pos: 0,
            end: 0,
            timeout: None,
        }
    }

    /// Sets the socket's read and write timeouts, with no system call when they already are `t`.
    pub fn set_timeouts(&mut self, t: std::time::Duration) -> io::Result<()> {
        let t = t.max(std::time::Duration::from_millis(1));
        if self.timeout != Some(t) {
            self.timeout = None;
            self.stream.set_timeouts(t)?;
            self.timeout = Some(t);
        }
        Ok(())
    }

    /// Sends all of `bufs`, in order, with `MSG_NOSIGNAL` (a closed peer is an error, never a `SIGPIPE` in the
    /// caller's process). The slices are sent from where they are, without copying.
    pub fn send_vectored(&mut self, bufs: &[&[u8]]) -> io::Result<()> {
        if let Stream::Tls(s) = &mut self.stream {
            // Encrypted records are built from copies; the socket writes still never raise SIGPIPE.
            for b in bufs {
                io::Write::write_all(s.as_mut(), b)?;
            }
            return io::Write::flush(s.as_mut());
        }
        let mut slices: Vec<IoSlice<'_>> = bufs
            .iter()
            .filter(|b| !b.is_empty())
            .map(|b| IoSlice::new(b))
            .collect();
        let mut rest: &mut [IoSlice<'_>] = &mut slices;
        while !rest.is_empty() {
            let count = rest.len().min(IOV_MAX);
            // SAFETY: msghdr points at `count` valid IoSlices (same layout as iovec) that outlive the call.
            let n = unsafe {
                let mut msg: libc::msghdr = std::mem::zeroed();
                msg.msg_iov = rest.as_mut_ptr().cast();
                msg.msg_iovlen = count as _;
                libc::sendmsg(self.stream.fd(), &msg, libc::MSG_NOSIGNAL)
            };
            if n < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(err);
            }
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the server closed the connection",
                ));
            }
            IoSlice::advance_slices(&mut rest, n as usize);
        }
        Ok(())
    }

    /// Sends one buffer.
    pub fn send(&mut self, data: &[u8]) -> io::Result<()> {
        self.send_vectored(&[data])
    }

    /// Reads more bytes into the buffer (compacting it first when needed).
    fn fill(&mut self) -> io::Result<()> {
        if self.pos == self.end {
            self.pos = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            if self.pos == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "reply line too long",
                ));
            }
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        loop {
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    ))
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads one line (without `\r\n`), returning its range in the buffer.
    fn line(&mut self) -> io::Result<std::ops::Range<usize>> {
        loop {
            if let Some(i) = self.buf[self.pos..self.end]
                .windows(2)
                .position(|w| w == b"\r\n")
            {
                let range = self.pos..self.pos + i;
                self.pos += i + 2;
                return Ok(range);
            }
            self.fill()?;
        }
    }

    /// Reads one element header.
    pub fn header(&mut self) -> Result<Header, ReplyError> {
        let range = self.line()?;
        let line = &self.buf[range];
        let Some((&kind, rest)) = line.split_first() else {
            return Err(ReplyError::Protocol("empty reply line".into()));
        };
        let text = || String::from_utf8_lossy(rest).into_owned();
        let int = || -> Result<i64, ReplyError> {
            std::str::from_utf8(rest)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(|| ReplyError::Protocol(format!("bad integer in reply: {}", text())))
        };
        let len = |n: i64| (n >= 0).then_some(n as usize);
        Ok(match kind {
            b'+' => Header::Simple(text()),
            b'-' => Header::Error(crate::text::capped(&text()).into_owned()),
            b':' => Header::Int(int()?),
            b'$' => Header::Bulk(len(int()?)),
            b'*' => Header::Array(len(int()?)),
            other => {
                return Err(ReplyError::Protocol(format!(
                    "unexpected reply type byte {other:#04x}"
                )))
            }
        })
    }

    /// Reads `\r\n`.
    pub fn crlf(&mut self) -> Result<(), ReplyError> {
        let mut two = [0u8; 2];
        self.read_exact_into(&mut two)?;
        if &two != b"\r\n" {
            return Err(ReplyError::Protocol(
                "missing CRLF after bulk string".into(),
            ));
        }
        Ok(())
    }

    /// Fills `dst` from the stream: what is buffered first, then (for a large remainder) straight from the socket
    /// into `dst`. Small remainders go through the buffer, so many small reads cost few system calls.
    pub fn read_exact_into(&mut self, dst: &mut [u8]) -> io::Result<()> {
        let mut done = 0;
        loop {
            let have = (self.end - self.pos).min(dst.len() - done);
            dst[done..done + have].copy_from_slice(&self.buf[self.pos..self.pos + have]);
            self.pos += have;
            done += have;
            if done == dst.len() {
                return Ok(());
            }
            if dst.len() - done >= self.buf.len() / 2 {
                return self.stream.read_exact(&mut dst[done..]);
            }
            self.fill()?;
        }
    }

    /// Passes the next `len` bytes to `f` in pieces whose lengths are multiples of `align` (which must divide `len`),
    /// through the read buffer. Used where the bytes are scattered (transposed) rather than copied as they are.
    pub fn read_chunks(
        &mut self,
        mut len: usize,
        align: usize,
        mut f: impl FnMut(&[u8]),
    ) -> io::Result<()> {
        let align = align.max(1);
        while len > 0 {
            if self.pos == self.end || (self.end - self.pos < align && self.end - self.pos < len) {
                self.fill()?;
                continue;
            }
            let mut n = (self.end - self.pos).min(len);
            n -= n % align;
            f(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            len -= n;
        }
        Ok(())
    }

    /// Discards the next `len` bytes.
    pub fn skip(&mut self, len: usize) -> io::Result<()> {
        self.read_chunks(len, 1, |_| {})
    }

    /// Reads one complete reply as a `redis::Value`. An error reply at the top → [`ReplyError::Server`]; an error
    /// element nested in an array is read to the end of the reply, then reported the same way.
    pub fn value(&mut self) -> Result<Value, ReplyError> {
        let mut nested_error = None;
        let v = self.value_inner(&mut nested_error, 0)?;
        match nested_error {
            Some(msg) => Err(ReplyError::Server(msg)),
            None => Ok(v),
        }
    }

    fn value_inner(
        &mut self,
        nested_error: &mut Option<String>,
        depth: usize,
    ) -> Result<Value, ReplyError> {
        Ok(match self.header()? {
            Header::Simple(s) if s == "OK" => Value::Okay,
            Header::Simple(s) => Value::SimpleString(s),
            Header::Error(e) if depth == 0 => return Err(ReplyError::Server(e)),
            Header::Error(e) => {
                nested_error.get_or_insert(e);
                Value::Nil
            }
            Header::Int(i) => Value::Int(i),
            Header::Bulk(None) | Header::Array(None) => Value::Nil,
            Header::Bulk(Some(n)) => {
                // Grown as the bytes arrive (doubling from 1 MiB): a bogus length costs what was sent, not `n`.
                let mut v = Vec::new();
                while v.len() < n {
                    let old = v.len();
                    let step = (n - old).min(old.max(1 << 20));
                    v.resize(old + step, 0);
                    self.read_exact_into(&mut v[old..])?;
                }
                self.crlf()?;
                Value::BulkString(v)
            }
            Header::Array(Some(_)) if depth >= MAX_DEPTH => {
                return Err(ReplyError::Protocol(format!(
                    "reply nested deeper than {MAX_DEPTH} arrays"
                )))
            }
            Header::Array(Some(n)) => {
                // Room for a few elements, grown as they are read: a bogus length costs what was sent, not `n`,
                // and arrays nested to MAX_DEPTH reserve 128 × 16 elements (115 KB) in all.
                let mut items = Vec::with_capacity(n.min(16));
                for _ in 0..n {
                    items.push(self.value_inner(nested_error, depth + 1)?);
                }
                Value::Array(items)
            }
        })
    }
}

/// The RESP encoding of a command: `args`, then, with `trailing_len`, the length line `$<len>\r\n` of one more
/// bulk argument that the caller sends itself (its bytes, then `\r\n`) — so a tensor payload is never copied into
/// the command.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A], trailing_len: Option<usize>) -> Vec<u8> {
    let count = args.len() + usize::from(trailing_len.is_some());
    let mut out =
        Vec::with_capacity(16 + args.iter().map(|a| a.as_ref().len() + 16).sum::<usize>());
    out.push(b'*');
    out.extend_from_slice(count.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in args {
        push_bulk(&mut out, a.as_ref());
    }
    if let Some(len) = trailing_len {
        out.push(b'$');
        out.extend_from_slice(len.to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Sends a command given as arguments: small arguments are encoded into one buffer, large ones (a model's
/// chunks) go to the socket from where they are, without a copy.
pub fn send_args<A: AsRef<[u8]>>(io: &mut BufStream, args: &[A]) -> io::Result<()> {
    let mut pieces: Vec<Vec<u8>> = vec![Vec::with_capacity(256)];
    let mut large: Vec<(usize, &[u8])> = Vec::new();
    let head = pieces.last_mut().expect("one piece");
    head.push(b'*');
    head.extend_from_slice(args.len().to_string().as_bytes());
    head.extend_from_slice(b"\r\n");
    for a in args {
        let a = a.as_ref();
        if a.len() <= SMALL_PAYLOAD {
            push_bulk(pieces.last_mut().expect("one piece"), a);
            continue;
        }
        let cur = pieces.last_mut().expect("one piece");
        cur.push(b'$');
        cur.extend_from_slice(a.len().to_string().as_bytes());
        cur.extend_from_slice(b"\r\n");
        large.push((pieces.len(), a));
        pieces.push(b"\r\n".to_vec());
    }
    // pieces[0], large[0], pieces[1], large[1], ...: each large argument goes between the piece that holds its
    // length line and the one that starts with its closing CRLF.
    let mut bufs: Vec<&[u8]> = Vec::with_capacity(pieces.len() + large.len());
    let mut large = large.into_iter().peekable();
    for (i, p) in pieces.iter().enumerate() {
        if let Some((_, a)) = large.next_if(|(at, _)| *at == i) {
            bufs.push(a);
        }
        bufs.push(p);
    }
    io.send_vectored(&bufs)
}

/// Appends the RESP encoding of one bulk-string argument.
fn push_bulk(out: &mut Vec<u8>, arg: &[u8]) {
    out.push(b'$');
    out.extend_from_slice(arg.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(arg);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_encode_like_redis_cmd() {
        let mut full = encode_command(&["AI.TENSORSET", "k", "FLOAT", "2", "3", "BLOB"], Some(24));
        full.extend_from_slice(&[0u8; 24]);
        full.extend_from_slice(b"\r\n");
        let cmd = redis::cmd("AI.TENSORSET")
            .arg("k")
            .arg("FLOAT")
            .arg(2)
            .arg(3)
            .arg("BLOB")
            .arg(&[0u8; 24][..])
            .get_packed_command();
        assert_eq!(full, cmd);
        let g = redis::cmd("AI.TENSORGET")
            .arg("k")
            .arg("META")
            .arg("BLOB")
            .get_packed_command();
        assert_eq!(
            encode_command(&["AI.TENSORGET", "k", "META", "BLOB"], None),
            g
        );
    }
    use std::io::Write;

    fn pair() -> (BufStream, UnixStream) {
        let (a, b) = UnixStream::pair().unwrap();
        (BufStream::new(Stream::Unix(a)), b)
    }

    #[test]
    fn args_encode_like_redis_cmd() {
        let big = vec![7u8; SMALL_PAYLOAD + 5];
        let args: Vec<&[u8]> = vec![b"AI.MODELSTORE", b"m", &big, b"x", &big, &big[..3]];
        let (mut s, mut peer) = pair();
        send_args(&mut s, &args).unwrap();
        let mut expected = redis::cmd("AI.MODELSTORE");
        expected
            .arg("m")
            .arg(&big[..])
            .arg("x")
            .arg(&big[..])
            .arg(&big[..3]);
        let expected = expected.get_packed_command();
        let mut got = vec![0u8; expected.len()];
        std::io::Read::read_exact(&mut peer, &mut got).unwrap();
        assert_eq!(got, expected);
    }

    #[test]
    fn parses_values() {
        let (mut s, mut peer) = pair();
        peer.write_all(b"+OK\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*2\r\n+x\r\n$0\r\n\r\n-ERR bad\r\n*2\r\n:1\r\n-ERR inner\r\n+after\r\n")
            .unwrap();
        assert_eq!(s.value().unwrap(), Value::Okay);
        assert_eq!(s.value().unwrap(), Value::Int(42));
        assert_eq!(s.value().unwrap(), Value::BulkString(b"abc".to_vec()));
        assert_eq!(s.value().unwrap(), Value::Nil);
        assert_eq!(
            s.value().unwrap(),
            Value::Array(vec![
                Value::SimpleString("x".into()),
                Value::BulkString(vec![])
            ])
        );
        assert!(matches!(s.value(), Err(ReplyError::Server(m)) if m == "ERR bad"));
        assert!(matches!(s.value(), Err(ReplyError::Server(m)) if m == "ERR inner"));
        assert_eq!(s.value().unwrap(), Value::SimpleString("after".into()));
    }

    #[test]
    fn bulk_payload_goes_into_destination_and_chunks_are_aligned() {
        let (mut s, mut peer) = pair();
        let payload: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        let w = std::thread::spawn(move || {
            for _ in 0..2 {
                peer.write_all(format!("${}\r\n", payload.len()).as_bytes())
                    .unwrap();
                peer.write_all(&payload).unwrap();
                peer.write_all(b"\r\n").unwrap();
            }
            payload
        });
        assert_eq!(s.header().unwrap(), Header::Bulk(Some(200_000)));
        let mut dst = vec![0u8; 200_000];
        s.read_exact_into(&mut dst).unwrap();
        s.crlf().unwrap();
        assert_eq!(s.header().unwrap(), Header::Bulk(Some(200_000)));
        let mut got = Vec::new();
        s.read_chunks(200_000, 8, |c| {
            assert_eq!(c.len() % 8, 0);
            got.extend_from_slice(c)
        })
        .unwrap();
        s.crlf().unwrap();
        let payload = w.join().unwrap();
        assert_eq!(dst, payload);
        assert_eq!(got, payload);
    }

    #[test]
    fn closed_peer_is_an_error_not_a_signal() {
        let (mut s, peer) = pair();
        drop(peer);
        let big = vec![0u8; 1 << 20];
        assert!(s.send_vectored(&[b"x", &big]).is_err());
        assert!(s.header().is_err());
    }
}
