//! One connection to one Redis node: connect with the configured attempts, run requests, reconnect after a
//! dropped connection within the command retry budget, and never re-send a command whose reply is merely slow.

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::Value;

use super::resp::{BufStream, ReplyError, Stream};
use crate::address::Address;
use crate::error::{Error, Result};

/// Timeouts and retry budgets, from `SR_CONN_*` and `SR_CMD_*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportSettings {
    /// Pause between connection attempts.
    pub conn_interval: Duration,
    /// Number of connection attempts (`SR_CONN_TIMEOUT / SR_CONN_INTERVAL + 1`).
    pub connection_attempts: usize,
    /// How long one reply (or one write) may take before the command fails with a timeout.
    pub cmd_timeout: Duration,
    /// Pause between attempts of a command after a dropped connection.
    pub cmd_interval: Duration,
    /// Number of attempts of a command over dropped connections (`SR_CMD_TIMEOUT / SR_CMD_INTERVAL + 1`).
    pub command_attempts: usize,
    /// Sent with `AUTH` on every new connection (`SR_PASSWORD` / `SR_PASSWORD_FILE`).
    pub password: Option<crate::config::Secret>,
    /// TLS on every TCP connection (`SR_TLS_CA_FILE`, ...); `None`: plain TCP.
    pub tls: Option<super::tls::TlsConfig>,
}

impl TransportSettings {
    /// When a call started now must be over: `cmd_timeout` plus one `cmd_interval`. Every retry, reconnection,
    /// redirection and topology refresh of one call stops there.
    pub fn deadline(&self) -> Instant {
        Instant::now() + self.cmd_timeout + self.cmd_interval
    }
}

/// Time left until `deadline` (zero once it has passed).
pub(crate) fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

impl Default for TransportSettings {
    /// Upstream's defaults: 100 s timeouts, 1 s intervals.
    fn default() -> Self {
        TransportSettings {
            conn_interval: Duration::from_secs(1),
            connection_attempts: 101,
            cmd_timeout: Duration::from_secs(100),
            cmd_interval: Duration::from_secs(1),
            command_attempts: 101,
            password: None,
            tls: None,
        }
    }
}

/// A command and the reader of its reply, run by a connection (possibly more than once when the connection drops
/// before the reply arrives).
pub trait Request {
    /// What the reply becomes.
    type Output;
    /// Sends the whole command.
    fn send(&self, io: &mut BufStream) -> io::Result<()>;
    /// Reads the whole reply.
    fn receive(&mut self, io: &mut BufStream) -> std::result::Result<Self::Output, ReplyError>;
}

/// A `redis::Cmd` whose reply is read as a `redis::Value`.
pub struct CmdRequest<'a>(pub &'a redis::Cmd);

impl Request for CmdRequest<'_> {
    type Output = Value;
    fn send(&self, io: &mut BufStream) -> io::Result<()> {
        io.send(&self.0.get_packed_command())
    }
    fn receive(&mut self, io: &mut BufStream) -> std::result::Result<Value, ReplyError> {
        io.value()
    }
}

/// A command given as arguments ([`crate::ai::Args`]); large arguments are sent without a copy. The reply is
/// read as a `redis::Value`.
pub struct ArgsRequest<'a, 'b>(pub &'a [std::borrow::Cow<'b, [u8]>]);

impl Request for ArgsRequest<'_, '_> {
    type Output = Value;
    fn send(&self, io: &mut BufStream) -> io::Result<()> {
        super::resp::send_args(io, self.0)
    }
    fn receive(&mut self, io: &mut BufStream) -> std::result::Result<Value, ReplyError> {
        io.value()
    }
}

/// `ASKING` followed by the request, for one command to a slot being imported.
pub struct Asking<'a, R>(pub &'a mut R);

impl<R: Request> Request for Asking<'_, R> {
    type Output = R::Output;
    fn send(&self, io: &mut BufStream) -> io::Result<()> {
        io.send(b"*1\r\n$6\r\nASKING\r\n")?;
        self.0.send(io)
    }
    fn receive(&mut self, io: &mut BufStream) -> std::result::Result<R::Output, ReplyError> {
        let asking = io.value();
        let reply = self.0.receive(io);
        asking?;
        reply
    }
}

/// Why a request failed.
#[derive(Debug)]
pub enum CallError {
    /// The server answered with an error reply (message without the leading `-`).
    Server(String),
    /// Anything else, already mapped to the crate's error.
    Failed(Error),
}

impl CallError {
    /// The crate error for this failure; a server error reply becomes upstream's
    /// `"Redis error when executing command: <message>"` runtime error.
    pub fn into_error(self) -> Error {
        match self {
            CallError::Server(m) => Error::Runtime(format!(
                "Redis error when executing command: {}",
                crate::text::capped(&m)
            )),
            CallError::Failed(e) => e,
        }
    }
}

impl From<Error> for CallError {
    fn from(e: Error) -> Self {
        CallError::Failed(e)
    }
}

/// How a connection the server accepted and closed before answering `PING` is reported.
const DROPPED: &str = "the server closed the connection before answering";

/// The longest wait for one TCP connect or one TLS handshake, whatever `SR_CMD_TIMEOUT` is (default 100 s): a
/// healthy server completes either in milliseconds, and a plain server never answers a TLS handshake.
const SETUP_MAX: Duration = Duration::from_secs(10);

/// A connection to one node.
#[derive(Debug)]
pub struct NodeConnection {
    addr: Address,
    io: Option<BufStream>,
    settings: Arc<TransportSettings>,
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

impl NodeConnection {
    /// Connects (with up to `connection_attempts` tries, `conn_interval` apart), checking the node answers `PING`.
    pub fn connect(addr: Address, settings: Arc<TransportSettings>) -> Result<NodeConnection> {
        let attempts = settings.connection_attempts;
        Self::connect_with_attempts(addr, settings, attempts)
    }

    /// As [`connect`](Self::connect), with `attempts` tries (at least one) instead of `connection_attempts`.
    pub fn connect_with_attempts(
        addr: Address,
        settings: Arc<TransportSettings>,
        attempts: usize,
    ) -> Result<NodeConnection> {
        Self::connect_until(addr, settings, attempts, None)
    }

    /// As [`connect_with_attempts`](Self::connect_with_attempts), giving up at `deadline` (when given): no
    /// attempt starts, and no connection or `PING` waits, past it.
    pub fn connect_until(
        addr: Address,
        settings: Arc<TransportSettings>,
        attempts: usize,
        deadline: Option<Instant>,
    ) -> Result<NodeConnection> {
        let mut conn = NodeConnection {
            addr,
            io: None,
            settings,
        };
        let attempts = attempts.max(1);
        let mut last = String::new();
        let mut made = 0;
        // Connections the server accepted and then closed without a word, in a row.
        let mut dropped = 0;
        for attempt in 1..=attempts {
            made = attempt;
            match conn.open_and_ping(deadline) {
                Ok(io) => {
                    conn.io = Some(io);
                    return Ok(conn);
                }
                Err((e, fatal)) => {
                    if e.starts_with(DROPPED) {
                        dropped += 1;
                    } else {
                        dropped = 0;
                    }
                    last = e;
                    if fatal {
                        break;
                    }
                    // A TLS port drops a plain client at once, every time: say so rather than retry for minutes.
                    if dropped >= 2
                        && conn.settings.tls.is_none()
                        && matches!(conn.addr, Address::Tcp { .. })
                    {
                        last = format!(
                            "{last}; the server closes every connection before answering: if the store serves \
                             TLS, set SR_TLS_CA_FILE"
                        );
                        break;
                    }
                }
            }
            if attempt < attempts {
                let pause = conn.settings.conn_interval;
                if deadline.is_some_and(|d| remaining(d) <= pause) {
                    break;
                }
                std::thread::sleep(pause);
            }
        }
        Err(Error::Database(format!(
            "Unable to connect to backend database: {} after {made} attempt(s): {last}",
            conn.addr
        )))
    }

    /// The node's address.
    pub fn addr(&self) -> &Address {
        &self.addr
    }

    /// Opens the socket; no wait (connecting, later reads and writes) is longer than `SR_CMD_TIMEOUT` or than
    /// what is left until `deadline`.
    fn open(&self, deadline: Option<Instant>) -> io::Result<BufStream> {
        let mut timeout = self.settings.cmd_timeout;
        if let Some(d) = deadline {
            timeout = timeout.min(remaining(d));
            if timeout.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no time left within SR_CMD_TIMEOUT",
                ));
            }
        }
        let stream = match &self.addr {
            Address::Tcp { host, port } => {
                let mut last = io::Error::new(io::ErrorKind::NotFound, "no address resolved");
                let mut found = None;
                for sa in (host.as_str(), *port).to_socket_addrs()? {
                    match TcpStream::connect_timeout(&sa, timeout.min(SETUP_MAX)) {
                        Ok(s) => {
                            found = Some(s);
                            break;
                        }
                        Err(e) => last = e,
                    }
                }
                let s = found.ok_or(last)?;
                s.set_nodelay(true)?;
                match &self.settings.tls {
                    None => Stream::Tcp(s),
                    Some(tls) => {
                        // The handshake waits no longer than a reply would, nor than SETUP_MAX: a plain server
                        // reads the handshake as an inline command and may never answer it.
                        let wait = timeout.min(SETUP_MAX).max(Duration::from_millis(1));
                        s.set_read_timeout(Some(wait))?;
                        s.set_write_timeout(Some(wait))?;
                        Stream::Tls(Box::new(tls.connect(host, s, &self.addr)?))
                    }
                }
            }
            Address::Unix(path) => Stream::Unix(UnixStream::connect(path)?),
        };
        let mut io = BufStream::new(stream);
        io.set_timeouts(timeout)?;
        if let Some(p) = &self.settings.password {
            io.send(&super::resp::encode_command(
                &[&b"AUTH"[..], p.expose().as_bytes()],
                None,
            ))?;
            match io.value() {
                Ok(_) => {}
                Err(ReplyError::Io(e)) => return Err(e),
                Err(ReplyError::Server(m)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        format!(
                            "{} refused the password (SR_PASSWORD / SR_PASSWORD_FILE): {m}",
                            self.addr
                        ),
                    ))
                }
                Err(e) => return Err(io::Error::other(format!("{e:?}"))),
            }
        }
        Ok(io)
    }

    /// Opens and checks the node answers `PING`. Errors: the reason, and whether trying again cannot help (a
    /// password refused or missing).
    fn open_and_ping(
        &self,
        deadline: Option<Instant>,
    ) -> std::result::Result<BufStream, (String, bool)> {
        let mut io = self
            .open(deadline)
            .map_err(|e| (e.to_string(), e.kind() == io::ErrorKind::PermissionDenied))?;
        let dropped = |e: &io::Error| {
            matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::BrokenPipe
            )
        };
        io.send(b"*1\r\n$4\r\nPING\r\n").map_err(|e| {
            if dropped(&e) {
                (format!("{DROPPED}: {e}"), false)
            } else {
                (e.to_string(), false)
            }
        })?;
        match io.value() {
            Ok(Value::SimpleString(s)) if s == "PONG" => Ok(io),
            Ok(other) => Err((
                format!("unexpected reply to PING: {}", crate::text::quote(&other)),
                false,
            )),
            Err(ReplyError::Server(m)) if m.starts_with("NOAUTH") => Err((
                format!("the store requires a password: set SR_PASSWORD or SR_PASSWORD_FILE ({m})"),
                true,
            )),
            // A node that is loading its data says so; report it.
            Err(ReplyError::Server(m)) => Err((m, false)),
            Err(ReplyError::Io(e)) if dropped(&e) => Err((format!("{DROPPED}: {e}"), false)),
            Err(ReplyError::Io(e)) => Err((e.to_string(), false)),
            Err(ReplyError::Protocol(m)) => Err((m, false)),
            Err(ReplyError::Invalid(e)) => Err((e.to_string(), false)),
        }
    }

    /// Sends the request and reads its reply.
    ///
    /// A dropped connection (write failure, end of stream, reset) is reopened and the request sent again, up to
    /// `command_attempts` tries `cmd_interval` apart; then a database error. When the send fails because the server
    /// closed the connection after an error reply (a payload over its `proto-max-bulk-len`), that reply is the
    /// result (a database error with the server's message) and the request is not sent again. A reply that does not arrive within
    /// `cmd_timeout` is a timeout error and the request is **not** re-sent (the connection is discarded, since the
    /// late reply would otherwise be read as the answer to the next command).
    pub fn request<R: Request>(
        &mut self,
        req: &mut R,
    ) -> std::result::Result<R::Output, CallError> {
        let attempts = self.settings.command_attempts;
        self.request_with_attempts(req, attempts)
    }

    /// As [`request`](Self::request), with `attempts` tries (at least one) instead of `command_attempts`.
    pub fn request_with_attempts<R: Request>(
        &mut self,
        req: &mut R,
        attempts: usize,
    ) -> std::result::Result<R::Output, CallError> {
        let deadline = self.settings.deadline();
        self.request_until(req, attempts, deadline)
    }

    /// As [`request_with_attempts`](Self::request_with_attempts), over by `deadline`: no retry starts after it,
    /// and no wait for a connection or a reply goes past it.
    pub fn request_until<R: Request>(
        &mut self,
        req: &mut R,
        attempts: usize,
        deadline: Instant,
    ) -> std::result::Result<R::Output, CallError> {
        let attempts = attempts.max(1);
        let mut last = String::new();
        let mut made = 0;
        for attempt in 1..=attempts {
            if attempt > 1 {
                let pause = self.settings.cmd_interval;
                if remaining(deadline) <= pause {
                    break;
                }
                std::thread::sleep(pause);
            }
            made = attempt;
            if self.io.is_none() {
                match self.open(Some(deadline)) {
                    Ok(io) => self.io = Some(io),
                    Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                        return Err(CallError::Failed(Error::Database(e.to_string())));
                    }
                    Err(e) => {
                        last = format!("cannot reconnect to {}: {e}", self.addr);
                        continue;
                    }
                }
            }
            let Some(io) = self.io.as_mut() else {
                continue;
            };
            // A reply is waited for `SR_CMD_TIMEOUT`, or what is left of this call when that is less.
            let wait = self.settings.cmd_timeout.min(remaining(deadline));
            if let Err(e) = io.set_timeouts(wait) {
                self.io = None;
                last = format!("{e} ({})", self.addr);
                continue;
            }
            let result = match req.send(io) {
                Ok(()) => req.receive(io),
                Err(e) if !is_timeout(&e) => {
                    // The server may have refused the command and closed the connection while it was still
                    // being sent (a bulk longer than `proto-max-bulk-len`): its reason is waiting to be read,
                    // and sending the command again would only be refused again.
                    if let Err(ReplyError::Server(m)) = io.value() {
                        self.io = None;
                        return Err(CallError::Failed(Error::Database(format!(
                            "{} refused the command and closed the connection: {m}",
                            self.addr
                        ))));
                    }
                    Err(ReplyError::Io(e))
                }
                Err(e) => Err(ReplyError::Io(e)),
            };
            match result {
                Ok(v) => return Ok(v),
                Err(ReplyError::Server(m)) => return Err(CallError::Server(m)),
                Err(ReplyError::Invalid(e)) => return Err(CallError::Failed(e)),
                Err(ReplyError::Protocol(m)) => {
                    self.io = None;
                    return Err(CallError::Failed(Error::Database(format!(
                        "Invalid reply from {}: {m}",
                        self.addr
                    ))));
                }
                Err(ReplyError::Io(e)) if is_timeout(&e) => {
                    self.io = None;
                    return Err(CallError::Failed(Error::Timeout(format!(
                        "No reply from {} within {:?} (SR_CMD_TIMEOUT); the command was not re-sent",
                        self.addr, wait
                    ))));
                }
                Err(ReplyError::Io(e)) => {
                    self.io = None;
                    last = format!("{} ({})", e, self.addr);
                }
            }
        }
        Err(CallError::Failed(Error::Database(format!(
            "Redis IO error when executing command: {last} (after {made} attempt(s) within SR_CMD_TIMEOUT)"
        ))))
    }

    /// Runs one `redis::Cmd`.
    pub fn query(&mut self, cmd: &redis::Cmd) -> std::result::Result<Value, CallError> {
        self.request(&mut CmdRequest(cmd))
    }
}
