//! TLS for client connections, with rustls: one configuration per client, built from `SR_TLS_CA_FILE` (the CA
//! the store's certificates must chain to; the system's roots are not used) and, for a store that asks for client
//! certificates, `SR_TLS_CERT_FILE` and `SR_TLS_KEY_FILE`; and the handshake, whose failures say what is wrong.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use crate::address::Address;
use crate::config::TlsPaths;
use crate::error::{Error, Result};

/// A client's TLS configuration, shared by all its connections.
#[derive(Clone)]
pub struct TlsConfig {
    config: Arc<ClientConfig>,
    paths: TlsPaths,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("paths", &self.paths)
            .finish()
    }
}

impl PartialEq for TlsConfig {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.config, &other.config)
    }
}

impl Eq for TlsConfig {}

/// A TCP socket whose writes never raise `SIGPIPE` in the caller's process (`send` with `MSG_NOSIGNAL`).
#[derive(Debug)]
pub struct NoSigPipe(pub TcpStream);

impl Read for NoSigPipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for NoSigPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: `buf` is valid for `len` bytes for the duration of the call.
        let n = unsafe {
            libc::send(
                self.0.as_raw_fd(),
                buf.as_ptr().cast(),
                buf.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A TLS connection over TCP.
pub type TlsStream = StreamOwned<ClientConnection, NoSigPipe>;

fn file_error(var: &str, path: &std::path::Path, e: impl std::fmt::Display) -> Error {
    Error::Runtime(format!("{var}: cannot use {}: {e}", path.display()))
}

impl TlsConfig {
    /// Reads the CA (and the client certificate and key, when given). Errors name the variable and the file.
    pub fn new(paths: &TlsPaths) -> Result<TlsConfig> {
        let mut roots = RootCertStore::empty();
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&paths.ca)
            .and_then(|i| i.collect::<std::result::Result<_, _>>())
            .map_err(|e| file_error("SR_TLS_CA_FILE", &paths.ca, e))?;
        if certs.is_empty() {
            return Err(file_error(
                "SR_TLS_CA_FILE",
                &paths.ca,
                "no certificate in it",
            ));
        }
        for c in certs {
            roots
                .add(c)
                .map_err(|e| file_error("SR_TLS_CA_FILE", &paths.ca, e))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Runtime(format!("TLS: {e}")))?
            .with_root_certificates(roots);
        let config = match (&paths.cert, &paths.key) {
            (None, None) => builder.with_no_client_auth(),
            (Some(cert), Some(key)) => {
                let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
                    .and_then(|i| i.collect::<std::result::Result<_, _>>())
                    .map_err(|e| file_error("SR_TLS_CERT_FILE", cert, e))?;
                let k = PrivateKeyDer::from_pem_file(key)
                    .map_err(|e| file_error("SR_TLS_KEY_FILE", key, e))?;
                builder
                    .with_client_auth_cert(chain, k)
                    .map_err(|e| file_error("SR_TLS_CERT_FILE", cert, e))?
            }
            _ => {
                return Err(Error::Runtime(
                    "SR_TLS_CERT_FILE and SR_TLS_KEY_FILE go together: set both or neither".into(),
                ))
            }
        };
        Ok(TlsConfig {
            config: Arc::new(config),
            paths: paths.clone(),
        })
    }

    /// Runs the handshake over `sock` (its timeouts already set) with the server at `addr`, verifying its
    /// certificate names `host`. A certificate the CA did not sign, or a peer that does not speak TLS, is an
    /// error of kind `PermissionDenied` (trying again cannot help) that says so.
    pub fn connect(&self, host: &str, sock: TcpStream, addr: &Address) -> io::Result<TlsStream> {
        let name = ServerName::try_from(host.to_string()).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{host} is not a name TLS can verify: {e}"),
            )
        })?;
        let conn = ClientConnection::new(self.config.clone(), name)
            .map_err(|e| io::Error::other(format!("TLS: {e}")))?;
        let mut stream = StreamOwned::new(conn, NoSigPipe(sock));
        while stream.conn.is_handshaking() {
            if let Err(e) = stream.conn.complete_io(&mut stream.sock) {
                return Err(self.handshake_error(addr, e));
            }
        }
        Ok(stream)
    }

    fn handshake_error(&self, addr: &Address, e: io::Error) -> io::Error {
        let tls = e
            .get_ref()
            .and_then(|i| i.downcast_ref::<rustls::Error>())
            .cloned();
        let msg = match tls {
            Some(rustls::Error::InvalidCertificate(why)) => format!(
                "{addr} presented a TLS certificate that SR_TLS_CA_FILE ({}) does not accept: {why:?}",
                self.paths.ca.display()
            ),
            Some(other) => format!(
                "TLS handshake with {addr} failed: {other} (does the store serve TLS on this port?)"
            ),
            None if matches!(
                e.kind(),
                io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
            ) =>
            {
                format!(
                    "{addr} closed the connection during the TLS handshake: {e} (does the store serve TLS, \
                     and accept this client's certificate?)"
                )
            }
            // A plain server reads the handshake as an inline command and waits for a line that never comes.
            None if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
            {
                format!(
                    "{addr} sent no TLS handshake reply in time: does the store serve TLS on this port?"
                )
            }
            None => return e,
        };
        io::Error::new(io::ErrorKind::PermissionDenied, msg)
    }
}
