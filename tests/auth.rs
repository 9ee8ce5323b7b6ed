//! Clients of a store that requires a password: `SR_PASSWORD` or `SR_PASSWORD_FILE` (suffixed like `SSDB`), sent
//! on every connection (reconnections included); a missing or wrong password is a clear error at once, not a
//! retry until `SR_CONN_TIMEOUT`; the secret never shows in `Debug` output.

mod common;

use std::time::{Duration, Instant};

use smartredis::config::ClientSettings;
use smartredis::tensor::{TensorMut, TensorRef};
use smartredis::{Client, ConfigOptions};
use testkit::RedisServer;

const SECRET: &str = "s3cret pass";

/// A server with the module that requires [`SECRET`] (set after start, so the fixture's readiness probe works).
fn server() -> RedisServer {
    let server = RedisServer::with_module();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg(SECRET)
        .query(&mut server.connection())
        .unwrap();
    server
}

fn round_trip(c: &mut Client) {
    let v = [1.0f32, 2.0];
    c.put_tensor("t", &TensorRef::from_slice(&[2], &v).unwrap())
        .unwrap();
    let mut out = [0f32; 2];
    c.unpack_tensor("t", TensorMut::from_slice(&[2], &mut out).unwrap())
        .unwrap();
    assert_eq!(out, v);
}

fn config(server: &RedisServer) -> ConfigOptions {
    let cfg = common::config(&server.addr(), "Standalone");
    cfg.override_integer_option("SR_CONN_TIMEOUT", 5).unwrap();
    cfg
}

#[test]
fn password_from_sr_password() {
    let server = server();
    let cfg = config(&server);
    cfg.override_string_option("SR_PASSWORD", SECRET).unwrap();
    let settings = ClientSettings::from_config(&cfg).unwrap();
    assert!(!format!("{settings:?}").contains(SECRET));
    let mut c = Client::new(Some(&cfg), "auth").unwrap();
    round_trip(&mut c);
    // Every connection authenticates: the server drops this one, the next command reconnects and succeeds.
    let _: () = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .query(&mut {
            let mut con = server.connection();
            let _: () = redis::cmd("AUTH").arg(SECRET).query(&mut con).unwrap();
            con
        })
        .unwrap();
    round_trip(&mut c);
}

#[test]
fn password_from_sr_password_file() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("password");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    let cfg = config(&server);
    cfg.override_string_option("SR_PASSWORD_FILE", file.to_str().unwrap())
        .unwrap();
    round_trip(&mut Client::new(Some(&cfg), "auth").unwrap());
    // An unreadable file names the variable.
    let cfg = config(&server);
    cfg.override_string_option("SR_PASSWORD_FILE", "/nonexistent/password")
        .unwrap();
    let e = Client::new(Some(&cfg), "auth").unwrap_err();
    assert!(e.message().contains("SR_PASSWORD_FILE"), "{e}");
}

#[test]
fn missing_or_wrong_password_fails_at_once_and_says_why() {
    let server = server();
    let start = Instant::now();
    let e = Client::new(Some(&config(&server)), "auth").unwrap_err();
    assert!(e.message().contains("SR_PASSWORD"), "{e}");
    let cfg = config(&server);
    cfg.override_string_option("SR_PASSWORD", "wrong").unwrap();
    let e = Client::new(Some(&cfg), "auth").unwrap_err();
    assert!(e.message().contains("refused the password"), "{e}");
    // Not retried until SR_CONN_TIMEOUT (5 s here).
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

// ---- Stores started by the launcher with a password (issue 13, item 4) ----

use smartredis::orchestrator::{access, Auth, Orchestrator, OrchestratorOptions, ShardState};

/// Stops the store when the test ends, passes or fails.
struct Store(Option<Orchestrator>);

impl Store {
    fn start(opts: OrchestratorOptions) -> Store {
        Store(Some(
            Orchestrator::launch(opts).unwrap_or_else(|e| panic!("start: {e}")),
        ))
    }
    fn get(&mut self) -> &mut Orchestrator {
        self.0.as_mut().unwrap()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some(mut o) = self.0.take() {
            let _ = o.stop();
        }
    }
}

fn store_opts(dir: &std::path::Path, shards: usize) -> OrchestratorOptions {
    OrchestratorOptions::new()
        .dir(dir)
        .shards(shards)
        .start_timeout(Duration::from_secs(60))
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A raw connection to the first shard (no password): every command is refused with NOAUTH.
fn assert_refuses_anonymous(o: &Orchestrator) {
    let addr = &o.addresses()[0];
    let mut con = redis::Client::open(format!("redis://{addr}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    let e = redis::cmd("GET")
        .arg("x")
        .query::<Option<String>>(&mut con)
        .unwrap_err();
    assert!(e.to_string().contains("NOAUTH"), "{e}");
}

fn launcher_auth_store(shards: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::start(store_opts(dir.path(), shards).auth(Auth::Generate));
    let o = store.get();
    let file = dir.path().join(access::PASSWORD_FILE);
    let conf = dir.path().join(access::AUTH_CONF);
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&conf), 0o600);
    let secret = std::fs::read_to_string(&file).unwrap().trim().to_string();
    assert_eq!(secret.len(), 64);
    // The secret is in no shard's command line (what `ps` shows other users).
    for pid in o.pids() {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        assert!(
            !String::from_utf8_lossy(&cmdline).contains(&secret),
            "secret on the command line"
        );
    }
    assert_refuses_anonymous(o);
    // What a job script gets: SR_PASSWORD_FILE next to SSDB.
    let env = o.client_env_vars();
    assert!(env
        .iter()
        .any(|(k, v)| k == "SR_PASSWORD_FILE" && v == &file.display().to_string()));
    assert!(!format!("{env:?}").contains(&secret));
    let db_type = if shards > 1 {
        "Clustered"
    } else {
        "Standalone"
    };
    // A client with SR_PASSWORD_FILE works; one without is refused at once, naming SR_PASSWORD.
    let cfg = common::config(&o.address(), db_type);
    cfg.override_string_option("SR_PASSWORD_FILE", file.to_str().unwrap())
        .unwrap();
    round_trip(&mut Client::new(Some(&cfg), "auth").unwrap());
    let cfg = common::config(&o.address(), db_type);
    cfg.override_string_option("SR_PASSWORD", &secret).unwrap();
    round_trip(&mut Client::new(Some(&cfg), "auth").unwrap());
    let e = Client::new(Some(&common::config(&o.address(), db_type)), "auth").unwrap_err();
    assert!(e.message().contains("SR_PASSWORD"), "{e}");
    // The orchestrator's own client, status, and an attached status/stop authenticate.
    round_trip(&mut o.client("auth").unwrap());
    assert!(o.status().iter().all(|s| s.state == ShardState::Running));
    let mut attached = Orchestrator::attach(dir.path()).unwrap();
    assert!(
        attached
            .status()
            .iter()
            .all(|s| s.state == ShardState::Running),
        "{:?}",
        attached.status()
    );
    let pids = attached.pids();
    attached.stop().unwrap();
    assert!(pids
        .iter()
        .all(|&p| !smartredis::orchestrator::state::pid_is_alive(p)));
    assert!(!file.exists() && !conf.exists(), "secret files left behind");
    if let Some(o) = store.0.take() {
        o.detach();
    }
}

#[test]
fn launcher_auth_standalone() {
    launcher_auth_store(1);
}

#[test]
fn launcher_auth_cluster() {
    launcher_auth_store(3);
}

#[test]
fn auth_is_on_by_default_for_a_non_loopback_bind_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::start(store_opts(dir.path(), 1));
    let o = store.get();
    assert!(o.access().password.is_none());
    assert!(!dir.path().join(access::PASSWORD_FILE).exists());
    let mut con = redis::Client::open(format!("redis://{}/", o.address()))
        .unwrap()
        .get_connection()
        .unwrap();
    let v: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("protected-mode")
        .query(&mut con)
        .unwrap();
    assert_eq!(v[1], "yes", "protected mode stays on without auth");
    drop(store);

    // Every address of this host (0.0.0.0): a password is generated without asking.
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::start(store_opts(dir.path(), 1).bind_address("0.0.0.0"));
    let o = store.get();
    assert!(o.access().password.is_some());
    assert_eq!(mode(&dir.path().join(access::PASSWORD_FILE)), 0o600);
    assert_refuses_anonymous(o);
    round_trip(&mut o.client("auth").unwrap());
    // Turning it off there is refused unless protected mode is turned off knowingly.
    let e = Orchestrator::new(
        store_opts(dir.path(), 1)
            .bind_address("0.0.0.0")
            .auth(Auth::Off),
    )
    .unwrap_err();
    assert!(e.to_string().contains("protected-mode"), "{e}");
}

#[test]
fn given_password_and_wide_socket_rule() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "given \"secret\" with spaces";
    let mut store = Store::start(
        store_opts(dir.path(), 1).auth(Auth::Password(smartredis::config::Secret::new(secret))),
    );
    let o = store.get();
    let cfg = common::config(&o.address(), "Standalone");
    cfg.override_string_option("SR_PASSWORD", secret).unwrap();
    round_trip(&mut Client::new(Some(&cfg), "auth").unwrap());
    drop(store);
    let e = Orchestrator::new(
        store_opts(dir.path(), 1)
            .unix_socket("s.sock")
            .unix_socket_perm(0o770),
    )
    .unwrap_err();
    assert!(e.to_string().contains("socket"), "{e}");
}

/// The CLI: `start --auth on` prints SR_PASSWORD_FILE, `env` exports it, `status` and `stop` authenticate.
#[test]
fn cli_store_with_auth() {
    let dir = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_smartredis");
    let d = dir.path().to_str().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(exe).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["start", "--dir", d, "--shards", "3", "--auth", "on"]);
    assert_eq!(code, Some(0), "{out}{err}");
    let file = dir.path().join(access::PASSWORD_FILE);
    assert!(
        out.contains(&format!("SR_PASSWORD_FILE={}", file.display())),
        "{out}"
    );
    let (code, env, _) = run(&["env", "--dir", d]);
    assert_eq!(code, Some(0));
    assert!(
        env.contains(&format!("export SR_PASSWORD_FILE=\"{}\"", file.display())),
        "{env}"
    );
    let (code, status, err) = run(&["status", "--dir", d]);
    assert_eq!(code, Some(0), "{status}{err}");
    assert!(!status.contains("NOAUTH"), "{status}");
    let (code, out, err) = run(&["stop", "--dir", d]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(!file.exists());
}

/// The C API: `sr_orchestrator_options_set_auth` + `sr_orchestrator_password_file`, and the orchestrator's client.
#[test]
fn c_api_store_with_auth() {
    use smartredis::ffi::orchestrator::*;
    use smartredis::SRError;
    use std::ffi::c_void;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let mut opts = common::c_orchestrator_options(d);
    assert_eq!(
        sr_orchestrator_options_set_auth(opts, 7, std::ptr::null(), 0),
        SRError::SRParameterError
    );
    assert_eq!(
        sr_orchestrator_options_set_auth(opts, SRAuthMode::SRAuthOn as i32, std::ptr::null(), 0),
        SRError::SRNoError
    );
    let mut orc: *mut c_void = std::ptr::null_mut();
    assert_eq!(sr_orchestrator_new(opts, &mut orc), SRError::SRNoError);
    assert_eq!(sr_orchestrator_options_free(&mut opts), SRError::SRNoError);
    assert_eq!(sr_orchestrator_start(orc), SRError::SRNoError);
    let mut p: *const std::ffi::c_char = std::ptr::null();
    let mut len = 0usize;
    assert_eq!(
        sr_orchestrator_password_file(orc, &mut p, &mut len),
        SRError::SRNoError
    );
    // SAFETY: the handle owns `len` bytes at `p`.
    let path = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
    let path = std::str::from_utf8(path).unwrap().to_string();
    assert_eq!(
        path,
        dir.path().join(access::PASSWORD_FILE).display().to_string()
    );
    assert_eq!(mode(std::path::Path::new(&path)), 0o600);
    let attached = Orchestrator::attach(dir.path()).unwrap();
    assert_refuses_anonymous(&attached);
    round_trip(&mut attached.client("c").unwrap());
    assert_eq!(sr_orchestrator_stop(orc), SRError::SRNoError);
    assert_eq!(sr_orchestrator_free(&mut orc), SRError::SRNoError);
}
