//! Who may talk to a store: the password every shard requires and the TLS files shards and clients use.
//!
//! At start the launcher writes, in the store directory, the secret (`smartredis-password`, mode 0600, for
//! `SR_PASSWORD_FILE`), a configuration file every shard includes (`smartredis-auth.conf`, 0600: `requirepass`
//! and `masterauth`, so the secret is never on a command line that `ps` shows) and, for generated TLS, a CA and a
//! server certificate (`smartredis-tls/`). `attach` reads them back, so `status` and `stop` authenticate too.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{Error, Result};
use super::options::{Auth, Bind, OrchestratorOptions, Tls};
use crate::config::Secret;

/// The secret, alone on one line (mode 0600): what `SR_PASSWORD_FILE` names.
pub const PASSWORD_FILE: &str = "smartredis-password";
/// The configuration file every shard includes (mode 0600): `requirepass` and `masterauth`.
pub const AUTH_CONF: &str = "smartredis-auth.conf";
/// Directory of the certificates generated for a run (mode 0700).
pub const TLS_DIR: &str = "smartredis-tls";

/// How the launcher reaches its shards, and what clients need to: the password and the CA to verify the shards'
/// certificates with (each `None` when off).
#[derive(Clone, Debug, Default)]
pub struct Access {
    /// The password every shard requires.
    pub password: Option<Secret>,
    /// The file holding it (mode 0600).
    pub password_file: Option<PathBuf>,
    /// The CA certificate the shards' certificates are checked against (TLS on).
    pub tls_ca: Option<PathBuf>,
}

/// The certificate files of a TLS store: CA, server certificate and its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// CA certificate (PEM) that signed the server certificate; clients verify against it.
    pub ca: PathBuf,
    /// Server certificate (PEM); also presented by a shard on the cluster bus.
    pub cert: PathBuf,
    /// The server certificate's private key (PEM).
    pub key: PathBuf,
}

/// Whether the address the shards bind is a loopback one (unresolvable counts as not loopback).
fn binds_loopback(opts: &OrchestratorOptions) -> bool {
    if opts.launcher.resolve() != super::launcher::LauncherKind::Local {
        // A scheduler's shards bind their node's address.
        return false;
    }
    let ip = match &opts.bind {
        Bind::Address(a) => super::ports::resolve_host(a)
            .ok()
            .and_then(|h| h.parse::<std::net::Ipv4Addr>().ok()),
        Bind::Interface(i) => super::ports::interface_ipv4(i).ok(),
    };
    ip.is_some_and(|ip| ip.is_loopback())
}

/// Whether the store requires a password: [`Auth::Auto`] turns it on whenever the shards bind a non-loopback
/// address (every scheduler launcher does).
pub fn auth_enabled(opts: &OrchestratorOptions) -> bool {
    match &opts.auth {
        Auth::Off => false,
        Auth::Generate | Auth::Password(_) => true,
        Auth::Auto => !binds_loopback(opts),
    }
}

/// The certificate files the shards use, when TLS is on (generated ones live in [`TLS_DIR`]).
pub fn tls_files(opts: &OrchestratorOptions, dir: &Path) -> Option<TlsFiles> {
    match &opts.tls {
        Tls::Off => None,
        Tls::Generate => {
            let d = dir.join(TLS_DIR);
            Some(TlsFiles {
                ca: d.join("ca.crt"),
                cert: d.join("server.crt"),
                key: d.join("server.key"),
            })
        }
        Tls::Files(f) => Some(f.clone()),
    }
}

/// Checks the security options against each other and the bind address.
pub fn validate(opts: &OrchestratorOptions) -> Result<()> {
    let bad = |m: &str| Err(Error::InvalidOption(m.into()));
    if let Auth::Password(p) = &opts.auth {
        if p.expose().is_empty() || p.expose().contains(['\0', '\n', '\r']) {
            return bad("the store password must be non-empty and hold no NUL or line break");
        }
    }
    if opts.unix_socket.is_some() && opts.unix_socket_perm & 0o077 != 0 && !opts.shared_socket {
        return bad(&format!(
            "unix socket permissions {:o} let other users of this node reach the store; ask for them explicitly \
             (--socket-shared / shared_socket(true)) or keep the default 700",
            opts.unix_socket_perm
        ));
    }
    let protected_off = opts.extra_args.iter().any(|a| a == "--protected-mode");
    if matches!(opts.auth, Auth::Off) && !binds_loopback(opts) && !protected_off {
        return bad(
            "auth is off but the store binds a non-loopback address: anyone on the network could use it, and \
             Redis's protected mode refuses every client that is not on loopback; turn auth on (the default), or \
             pass the redis-server argument `--protected-mode no` to open it knowingly",
        );
    }
    if let Tls::Files(f) = &opts.tls {
        for p in [&f.ca, &f.cert, &f.key] {
            if !p.is_absolute() {
                return bad(&format!(
                    "TLS file {} must be an absolute path",
                    p.display()
                ));
            }
        }
    }
    if matches!(opts.tls, Tls::Generate)
        && opts.launcher.resolve() != super::launcher::LauncherKind::Local
    {
        return bad(
            "generated TLS certificates name this host only; with a scheduler launcher give certificates that \
             name every node (tls_files / --tls-ca --tls-cert --tls-key)",
        );
    }
    Ok(())
}

/// The `redis-server` arguments for auth and TLS (`port` is the shard's client port, served with TLS when on).
pub fn server_args(opts: &OrchestratorOptions, dir: &Path, port: u16) -> Vec<String> {
    let mut args = Vec::new();
    let auth = auth_enabled(opts);
    // Protected mode (refuse non-loopback clients of a server without a password) stays on unless auth is on.
    args.extend([
        "--protected-mode".to_string(),
        if auth { "no" } else { "yes" }.to_string(),
    ]);
    if auth {
        args.extend([
            "--include".into(),
            dir.join(AUTH_CONF).display().to_string(),
        ]);
    }
    if let Some(f) = tls_files(opts, dir) {
        args.extend([
            "--tls-port".into(),
            port.to_string(),
            "--port".into(),
            "0".into(),
            "--tls-cert-file".into(),
            f.cert.display().to_string(),
            "--tls-key-file".into(),
            f.key.display().to_string(),
            "--tls-ca-cert-file".into(),
            f.ca.display().to_string(),
            "--tls-auth-clients".into(),
            "optional".into(),
            "--tls-replication".into(),
            "yes".into(),
        ]);
        if opts.shards > 1 {
            args.extend(["--tls-cluster".into(), "yes".into()]);
        }
    }
    args
}

/// Writes the store's secret files and certificates before the shards start; returns how to reach them.
/// `host` is the address the shards bind (named in generated certificates).
pub fn prepare(opts: &OrchestratorOptions, dir: &Path, host: Option<&str>) -> Result<Access> {
    let mut access = Access::default();
    if auth_enabled(opts) {
        let secret = match &opts.auth {
            Auth::Password(p) => p.clone(),
            _ => Secret::new(generate_secret()?),
        };
        let file = dir.join(PASSWORD_FILE);
        write_private(&file, format!("{}\n", secret.expose()).as_bytes())?;
        let q = config_quote(secret.expose());
        write_private(
            &dir.join(AUTH_CONF),
            format!("# Written by smartredis for this store; mode 0600.\nrequirepass {q}\nmasterauth {q}\n")
                .as_bytes(),
        )?;
        access.password = Some(secret);
        access.password_file = Some(file);
    }
    if let Some(files) = tls_files(opts, dir) {
        if matches!(opts.tls, Tls::Generate) {
            super::certs::generate(&files, dir.join(TLS_DIR).as_path(), host)?;
        }
        for p in [&files.ca, &files.cert, &files.key] {
            if !p.is_file() {
                return Err(Error::InvalidOption(format!(
                    "TLS file {} does not exist",
                    p.display()
                )));
            }
        }
        access.tls_ca = Some(files.ca);
    }
    Ok(access)
}

/// What an attached process needs: the password from the store's file when the record says auth is on, the CA
/// it recorded when TLS is on.
pub fn load(dir: &Path, password_file: Option<&Path>, tls_ca: Option<&Path>) -> Access {
    let mut access = Access::default();
    if let Some(f) = password_file {
        let file = if f.is_absolute() {
            f.to_path_buf()
        } else {
            dir.join(f)
        };
        // A missing file (removed by hand) leaves the launcher without the password: `status` then shows the
        // shards' NOAUTH, and `stop` falls back to signals after verifying each process.
        if let Ok(text) = std::fs::read_to_string(&file) {
            access.password = Some(Secret::new(text.trim_end_matches(['\n', '\r'])));
        }
        access.password_file = Some(file);
    }
    access.tls_ca = tls_ca.map(Path::to_path_buf);
    access
}

/// Removes the secret files (at stop, or after a failed start).
pub fn remove(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(PASSWORD_FILE));
    let _ = std::fs::remove_file(dir.join(AUTH_CONF));
    let _ = std::fs::remove_dir_all(dir.join(TLS_DIR));
}

/// Writes `data` to `path` with mode 0600, replacing whatever was there (a file another user planted is removed,
/// not written through).
pub(crate) fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io(path, e)),
        _ => {}
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    // The umask cannot widen 0600, but make the mode exact whatever it is.
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(path, e))?;
    f.write_all(data).map_err(|e| Error::io(path, e))
}

/// 32 random bytes from the kernel, as 64 hex digits.
fn generate_secret() -> Result<String> {
    let mut buf = [0u8; 32];
    let mut filled = 0;
    while filled < buf.len() {
        // SAFETY: getrandom writes at most `len` bytes into the buffer, which outlives the call.
        let n =
            unsafe { libc::getrandom(buf[filled..].as_mut_ptr().cast(), buf.len() - filled, 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(Error::io(Path::new("getrandom"), e));
        }
        filled += n as usize;
    }
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// A value quoted for a Redis configuration file: double quotes, with `\\`, `\"` and `\xHH` escapes.
fn config_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// A `redis` crate connection to one shard as the launcher makes it: TLS verified against the store's CA when on,
/// `AUTH` with its password when on; short connect and I/O timeouts.
pub fn connect(
    access: &Access,
    host: &str,
    port: u16,
    timeout: Duration,
) -> redis::RedisResult<redis::Connection> {
    use redis::IntoConnectionInfo;
    let mut settings = redis::RedisConnectionInfo::default();
    if let Some(p) = &access.password {
        settings = settings.set_password(p.expose());
    }
    let client = match &access.tls_ca {
        None => redis::Client::open(
            redis::ConnectionAddr::Tcp(host.to_string(), port)
                .into_connection_info()?
                .set_redis_settings(settings),
        )?,
        Some(ca) => {
            let root = std::fs::read(ca).map_err(|e| {
                redis::RedisError::from((
                    redis::ErrorKind::InvalidClientConfig,
                    "cannot read the store's CA certificate",
                    format!("{}: {e}", ca.display()),
                ))
            })?;
            let info = redis::ConnectionAddr::TcpTls {
                host: host.to_string(),
                port,
                insecure: false,
                tls_params: None,
            }
            .into_connection_info()?
            .set_redis_settings(settings);
            redis::Client::build_with_tls(
                info,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(root),
                },
            )?
        }
    };
    let con = client.get_connection_with_timeout(timeout)?;
    con.set_read_timeout(Some(timeout.max(Duration::from_secs(2))))?;
    con.set_write_timeout(Some(timeout.max(Duration::from_secs(2))))?;
    Ok(con)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_values_are_quoted() {
        assert_eq!(config_quote("ab"), "\"ab\"");
        assert_eq!(config_quote("a \"b\"\\"), "\"a \\\"b\\\"\\\\\"");
        assert_eq!(config_quote("é"), "\"\\xc3\\xa9\"");
    }

    #[test]
    fn secrets_are_random_hex() {
        let (a, b) = (generate_secret().unwrap(), generate_secret().unwrap());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn auth_is_on_by_default_for_a_non_loopback_bind() {
        let o = OrchestratorOptions::new();
        assert!(!auth_enabled(&o), "loopback default: off");
        assert!(auth_enabled(&o.clone().bind_address("0.0.0.0")));
        assert!(auth_enabled(&o.clone().bind_address("10.1.2.3")));
        assert!(!auth_enabled(&o.clone().bind_address("localhost")));
        assert!(auth_enabled(&o.clone().auth(Auth::Generate)));
        assert!(!auth_enabled(
            &o.clone()
                .bind_address("0.0.0.0")
                .auth(Auth::Off)
                .extra_args(["--protected-mode", "no"])
        ));
        assert!(validate(&o.clone().bind_address("0.0.0.0").auth(Auth::Off)).is_err());
        let args = server_args(&o, Path::new("/d"), 1);
        assert_eq!(args, ["--protected-mode", "yes"]);
        let args = server_args(&o.clone().auth(Auth::Generate), Path::new("/d"), 1);
        assert_eq!(
            args,
            [
                "--protected-mode",
                "no",
                "--include",
                "/d/smartredis-auth.conf"
            ]
        );
    }

    #[test]
    fn wide_socket_permissions_need_asking() {
        let o = OrchestratorOptions::new()
            .unix_socket("s.sock")
            .unix_socket_perm(0o770);
        assert!(validate(&o).is_err());
        assert!(validate(&o.shared_socket(true)).is_ok());
        assert!(validate(
            &OrchestratorOptions::new()
                .unix_socket("s")
                .unix_socket_perm(0o700)
        )
        .is_ok());
    }
}
