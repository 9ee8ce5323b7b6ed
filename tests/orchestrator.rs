//! Orchestrator integration tests against real `redis-server` processes: start/stop of 1, 2, 3 and 8 shards,
//! readiness, persistence, status after a kill, errors that leave nothing running, side-by-side orchestrators.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use redis::Commands;
use smartredis::orchestrator::{
    state::pid_is_alive, DbType, Error, Orchestrator, OrchestratorOptions, ShardState, STATE_FILE,
};

/// Stops the orchestrator when the test ends, passes or fails.
struct Guard(Option<Orchestrator>);

impl Guard {
    fn start(opts: OrchestratorOptions) -> Guard {
        match Orchestrator::launch(opts) {
            Ok(o) => Guard(Some(o)),
            Err(e) => panic!("start failed: {e}"),
        }
    }
    fn get(&mut self) -> &mut Orchestrator {
        self.0.as_mut().expect("orchestrator")
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut o) = self.0.take() {
            let _ = o.stop();
        }
    }
}

fn tmpdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("sr-orc-")
        .tempdir()
        .expect("tempdir")
}

fn opts(dir: &Path) -> OrchestratorOptions {
    OrchestratorOptions::new()
        .dir(dir)
        .start_timeout(Duration::from_secs(30))
}

/// Polls `f` until true, at most `bound`.
fn eventually(bound: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + bound;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    f()
}

fn all_gone(pids: &[u32]) -> bool {
    eventually(Duration::from_secs(5), || {
        pids.iter().all(|&p| !pid_is_alive(p))
    })
}

fn cluster_roundtrip(o: &Orchestrator, keys: usize) {
    let nodes: Vec<String> = o
        .addresses()
        .iter()
        .map(|a| format!("redis://{a}/"))
        .collect();
    let client = redis::cluster::ClusterClient::new(nodes).expect("cluster client");
    let mut con = client.get_connection().expect("cluster connection");
    for i in 0..keys {
        let _: () = con
            .set(format!("key-{i}"), i)
            .expect("SET right after start");
    }
    for i in 0..keys {
        let v: usize = con.get(format!("key-{i}")).expect("GET");
        assert_eq!(v, i);
    }
    // The module's commands work on every shard right away (keys spread over all slots).
    for i in 0..keys.min(50) {
        let _: () = redis::cmd("AI.TENSORSET")
            .arg(format!("t-{i}"))
            .arg("FLOAT")
            .arg(2)
            .arg("VALUES")
            .arg(1.5)
            .arg(i)
            .query(&mut con)
            .expect("AI.TENSORSET right after start");
    }
    let shape: redis::Value = redis::cmd("AI.TENSORGET")
        .arg("t-7")
        .arg("VALUES")
        .query(&mut con)
        .expect("AI.TENSORGET");
    assert!(format!("{shape:?}").contains('7'), "{shape:?}");
}

fn check_shards(n: usize) {
    let dir = tmpdir();
    let mut g = Guard::start(opts(dir.path()).shards(n));
    let o = g.get();
    assert_eq!(o.addresses().len(), n);
    assert_eq!(
        o.db_type(),
        if n == 1 {
            DbType::Standalone
        } else {
            DbType::Clustered
        }
    );
    assert!(o.is_active());
    assert!(dir.path().join(STATE_FILE).exists());
    if n == 1 {
        let mut con = redis::Client::open(format!("redis://{}/", o.address()))
            .unwrap()
            .get_connection()
            .unwrap();
        let _: () = con.set("k", "v").unwrap();
        assert_eq!(con.get::<_, String>("k").unwrap(), "v");
        let _: () = redis::cmd("AI.TENSORSET")
            .arg("t")
            .arg("FLOAT")
            .arg(1)
            .arg("VALUES")
            .arg(2.5)
            .query(&mut con)
            .expect("AI.TENSORSET right after start");
    } else {
        cluster_roundtrip(o, 200);
    }
    let status = o.status();
    assert!(
        status.iter().all(|s| s.state == ShardState::Running),
        "{status:?}"
    );
    let pids = o.pids();
    o.stop().expect("stop");
    assert!(all_gone(&pids));
    assert!(!dir.path().join(STATE_FILE).exists());
    assert_eq!(nodes_conf_count(dir.path()), 0, "nodes-*.conf left behind");
}

#[test]
fn one_shard_standalone() {
    check_shards(1);
}

#[test]
fn two_shards_cluster() {
    check_shards(2);
}

#[test]
fn three_shards_cluster() {
    check_shards(3);
}

#[test]
fn eight_shards_cluster() {
    check_shards(8);
}

/// Live (non-zombie) `redis-server` processes whose working directory is `dir`.
fn servers_in(dir: &Path) -> Vec<u32> {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() != "redis-server" || !pid_is_alive(pid) {
            continue;
        }
        if std::fs::read_link(format!("/proc/{pid}/cwd"))
            .ok()
            .as_deref()
            == Some(dir.as_path())
        {
            out.push(pid);
        }
    }
    out
}

fn assert_nothing_left(dir: &Path) {
    assert!(
        eventually(Duration::from_secs(5), || servers_in(dir).is_empty()),
        "redis-server still running in {}: {:?}",
        dir.display(),
        servers_in(dir)
    );
    assert!(!dir.join(STATE_FILE).exists(), "state file left behind");
}

/// A base port with `n` consecutive free client ports and their bus ports.
fn free_base(n: u16) -> u16 {
    for _ in 0..200 {
        let base = testkit::free_port();
        if !(1100..=50000).contains(&base) {
            continue;
        }
        let ok = (0..n).all(|i| {
            std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok()
                && std::net::TcpListener::bind(("127.0.0.1", base + i + 10000)).is_ok()
        });
        if ok {
            return base;
        }
    }
    panic!("no free port range");
}

/// Whether `err` says that a port was taken by someone else between the check for free ports and the start (another
/// test or program on this machine), rather than what a test arranged.
fn port_race(err: &Error, arranged: Option<u16>) -> bool {
    match err {
        Error::PortInUse { port, .. } => Some(*port) != arranged,
        Error::Shard { tail, .. } => tail.contains("Address already in use"),
        _ => false,
    }
}

/// Runs `attempt` with a fresh base port of `n` free client and bus ports until it ends other than in a port race
/// (it returns `Some`), at most 5 times: a port found free may be taken before the shards bind it.
fn with_free_base<T>(n: u16, mut attempt: impl FnMut(u16) -> Option<T>) -> T {
    for _ in 0..5 {
        if let Some(t) = attempt(free_base(n)) {
            return t;
        }
    }
    panic!("every attempt lost its ports to another program");
}

#[test]
fn persistence_restart_keeps_data_standalone_rdb() {
    let dir = tmpdir();
    {
        let mut g = Guard::start(opts(dir.path()).rdb(""));
        let mut con = redis::Client::open(format!("redis://{}/", g.get().address()))
            .unwrap()
            .get_connection()
            .unwrap();
        let _: () = con.set("kept", "yes").unwrap();
        g.get().stop().expect("stop");
    }
    assert!(dir.path().join("shard-0.rdb").exists());
    let mut g = Guard::start(opts(dir.path()).rdb(""));
    let mut con = redis::Client::open(format!("redis://{}/", g.get().address()))
        .unwrap()
        .get_connection()
        .unwrap();
    assert_eq!(con.get::<_, String>("kept").unwrap(), "yes");
}

#[test]
fn persistence_restart_keeps_data_cluster_aof() {
    let dir = tmpdir();
    {
        let mut g = Guard::start(opts(dir.path()).shards(3).aof(true));
        cluster_roundtrip(g.get(), 100);
        g.get().stop().expect("stop");
    }
    let g = Guard::start(opts(dir.path()).shards(3).aof(true));
    let o = g.0.as_ref().unwrap();
    let nodes: Vec<String> = o
        .addresses()
        .iter()
        .map(|a| format!("redis://{a}/"))
        .collect();
    let mut con = redis::cluster::ClusterClient::new(nodes)
        .unwrap()
        .get_connection()
        .unwrap();
    for i in 0..100 {
        assert_eq!(con.get::<_, usize>(format!("key-{i}")).unwrap(), i);
    }
}

#[test]
fn killed_shard_is_reported_by_status() {
    let dir = tmpdir();
    let mut g = Guard::start(opts(dir.path()).shards(3));
    let victim = g.get().pids()[1];
    // SAFETY: SIGKILL to a redis-server this test started.
    unsafe { libc::kill(victim as i32, libc::SIGKILL) };
    let o = g.get();
    assert!(eventually(Duration::from_secs(5), || o.status()[1].state
        == ShardState::Exited));
    let st = o.status();
    assert_eq!(st[0].state, ShardState::Running);
    assert!(!o.is_active());
    // Another process's view (attach) agrees.
    let mut other = Orchestrator::attach(dir.path()).expect("attach");
    assert_eq!(other.status()[1].state, ShardState::Exited);
    let pids = o.pids();
    o.stop().expect("stop the rest");
    assert!(all_gone(&pids));
    assert_nothing_left(dir.path());
}

#[test]
fn taken_port_is_a_clear_error() {
    let dir = tmpdir();
    with_free_base(3, |base| {
        // Take shard 2's cluster bus port.
        let bus = base + 2 + 10000;
        let _holder = std::net::TcpListener::bind(("127.0.0.1", bus)).ok()?;
        let result = Orchestrator::launch(opts(dir.path()).shards(3).port(base));
        assert_nothing_left(dir.path());
        match result {
            Err(e) if port_race(&e, Some(bus)) => None,
            Err(Error::PortInUse { port, what, .. }) => {
                assert_eq!(port, bus);
                assert!(what.contains("shard 2"), "{what}");
                Some(())
            }
            other => panic!("expected PortInUse, got {other:?}"),
        }
    });
}

#[test]
fn failing_shard_stops_the_others_and_quotes_its_log() {
    let dir = tmpdir();
    let script = dir.path().join("fake-server.sh");
    let real = smartredis::orchestrator::find_redis_server(None).unwrap();
    let err = with_free_base(3, |base| {
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\ncase \"$*\" in *\"--port {} \"*) echo \"simulated failure of this shard\"; exit 3;; esac\nexec {} \"$@\"\n",
                base + 2,
                real.display()
            ),
        )
        .unwrap();
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(&script)
            .status()
            .unwrap();
        let err = Orchestrator::launch(opts(dir.path()).shards(3).port(base).redis_server(&script))
            .unwrap_err();
        assert_nothing_left(dir.path());
        (!port_race(&err, None)).then_some(err)
    });
    match &err {
        Error::Shard { shard, tail, .. } => {
            assert_eq!(*shard, 2);
            assert!(tail.contains("simulated failure"), "{tail}");
        }
        other => panic!("expected a shard error, got {other:?}"),
    }
    assert!(err.to_string().contains("simulated failure"));
}

#[test]
fn missing_redis_server_is_a_clear_error() {
    let dir = tmpdir();
    let err = Orchestrator::launch(opts(dir.path()).redis_server("/nonexistent/bin/redis-server"))
        .unwrap_err();
    assert!(matches!(err, Error::RedisServerNotFound(_)), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/bin/redis-server"));
    assert_nothing_left(dir.path());
}

#[test]
fn bad_option_values_are_clear_errors() {
    let dir = tmpdir();
    assert!(matches!(
        Orchestrator::launch(opts(dir.path()).shards(0)),
        Err(Error::InvalidOption(_))
    ));
    assert!(matches!(
        Orchestrator::launch(
            opts(dir.path())
                .shards(2)
                .unix_socket(dir.path().join("s.sock"))
        ),
        Err(Error::InvalidOption(_))
    ));
    assert!(matches!(
        Orchestrator::launch(opts(dir.path()).interface("nosuchnic9")),
        Err(Error::Interface { .. })
    ));
    // Only redis-server knows this one is bad: it refuses to start, and its complaint is quoted.
    let err = Orchestrator::launch(opts(dir.path()).shards(3).maxmemory("lots")).unwrap_err();
    match &err {
        Error::Shard { tail, .. } => assert!(tail.contains("maxmemory"), "{tail}"),
        other => panic!("expected a shard error, got {other:?}"),
    }
    assert_nothing_left(dir.path());
}

#[test]
fn read_only_working_directory_is_a_clear_error() {
    let dir = tmpdir();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::process::Command::new("chmod")
        .arg("555")
        .arg(&ro)
        .status()
        .unwrap();
    // root ignores permission bits: fall back to a read-only file system then.
    let target: PathBuf = if std::fs::write(ro.join("probe"), b"").is_err() {
        ro.clone()
    } else {
        PathBuf::from("/proc/sys/smartredis-orchestrator-test")
    };
    let err = Orchestrator::launch(opts(&target)).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&*target.to_string_lossy()),
        "{err}"
    );
    assert_nothing_left(&target);
}

#[test]
fn two_orchestrators_side_by_side() {
    let (d1, d2) = (tmpdir(), tmpdir());
    let mut a = Guard::start(opts(d1.path()).shards(3).db_identifier("sim"));
    let mut b = Guard::start(opts(d2.path()));
    assert!(a.get().is_active() && b.get().is_active());
    let mut cb = redis::Client::open(format!("redis://{}/", b.get().address()))
        .unwrap()
        .get_connection()
        .unwrap();
    let _: () = cb.set("only-in-b", 1).unwrap();
    let env = a.get().env_vars();
    assert_eq!(env[0].0, "SSDB_sim");
    assert_eq!(
        env[1],
        ("SR_DB_TYPE_sim".to_string(), "Clustered".to_string())
    );
    assert_eq!(
        b.get().env_vars()[1],
        ("SR_DB_TYPE".to_string(), "Standalone".to_string())
    );
    // A second start in a directory in use is refused.
    assert!(matches!(
        Orchestrator::launch(opts(d2.path())),
        Err(Error::AlreadyRunning(_))
    ));
    a.get().stop().unwrap();
    assert!(b.get().is_active());
    assert_eq!(cb.get::<_, i32>("only-in-b").unwrap(), 1);
}

#[test]
fn crashed_shards_are_reported_and_their_record_kept_until_a_new_start() {
    let dir = tmpdir();
    let g = Guard::start(opts(dir.path()).shards(2));
    let pids = g.0.as_ref().unwrap().pids();
    for &p in &pids {
        // SAFETY: SIGKILL to redis-servers this test started (simulates a crashed run).
        unsafe { libc::kill(p as i32, libc::SIGKILL) };
    }
    let mut g = g;
    let o = g.get();
    assert!(eventually(Duration::from_secs(5), || o
        .status()
        .iter()
        .all(|s| s.state == ShardState::Exited)));
    // Status from another handle only reads: every shard exited, the record stays.
    let mut other = Orchestrator::attach(dir.path()).expect("attach keeps a crashed record");
    let st = other.status();
    assert_eq!(st.len(), 2);
    assert!(st.iter().all(|s| s.state == ShardState::Exited), "{st:?}");
    assert!(!other.is_active());
    assert!(dir.path().join(STATE_FILE).exists());
    // The directory is usable again: a new start cleans the stale record.
    let mut again = Guard::start(opts(dir.path()).shards(2));
    assert!(again.get().is_active());
}

#[test]
fn attach_then_stop_from_another_handle() {
    let dir = tmpdir();
    let first = Orchestrator::launch(opts(dir.path()).shards(3)).unwrap();
    let pids = first.pids();
    first.detach();
    let mut other = Orchestrator::attach(dir.path()).expect("attach");
    assert_eq!(other.pids(), pids);
    assert_eq!(other.db_type(), DbType::Clustered);
    assert!(other.is_active());
    other.stop().expect("stop");
    assert!(all_gone(&pids));
    assert_nothing_left(dir.path());
}

#[test]
fn config_set_applies_to_every_shard() {
    let dir = tmpdir();
    let mut g = Guard::start(
        opts(dir.path())
            .shards(2)
            .maxclients(1000)
            .eviction_policy("allkeys-lru"),
    );
    g.get()
        .config_set("maxmemory", "100mb")
        .expect("config set");
    for addr in g.get().addresses() {
        let mut con = redis::Client::open(format!("redis://{addr}/"))
            .unwrap()
            .get_connection()
            .unwrap();
        assert_eq!(config_get(&mut con, "maxmemory"), "104857600");
        assert_eq!(config_get(&mut con, "maxmemory-policy"), "allkeys-lru");
        assert_eq!(config_get(&mut con, "proto-max-bulk-len"), "2684354560");
    }
    let err = g.get().config_set("no-such-setting", "1").unwrap_err();
    assert!(matches!(err, Error::Redis { shard: 0, .. }), "{err:?}");
}

#[test]
fn unix_socket_and_interface_name() {
    let dir = tmpdir();
    let sock = dir.path().join("db.sock");
    let mut g = Guard::start(
        opts(dir.path())
            .interface("lo")
            .unix_socket(&sock)
            .unix_socket_perm(0o770)
            .shared_socket(true),
    );
    assert!(g.get().address().starts_with("127.0.0.1:"));
    let mut con = redis::Client::open(format!("unix://{}", sock.display()))
        .unwrap()
        .get_connection()
        .unwrap();
    assert_eq!(
        redis::cmd("PING").query::<String>(&mut con).unwrap(),
        "PONG"
    );
    let list: redis::Value = redis::cmd("MODULE").arg("LIST").query(&mut con).unwrap();
    assert!(format!("{list:?}").contains("ai"));
}

#[test]
fn module_can_be_disabled() {
    let dir = tmpdir();
    let mut g = Guard::start(opts(dir.path()).module(false));
    let mut con = redis::Client::open(format!("redis://{}/", g.get().address()))
        .unwrap()
        .get_connection()
        .unwrap();
    let list: Vec<redis::Value> = redis::cmd("MODULE").arg("LIST").query(&mut con).unwrap();
    assert!(list.is_empty());
}

#[test]
fn stop_falls_back_to_kill_for_a_hung_shard() {
    let dir = tmpdir();
    let mut g = Guard::start(
        opts(dir.path())
            .shards(2)
            .stop_timeout(Duration::from_millis(800)),
    );
    let pids = g.get().pids();
    // A stopped process neither answers SHUTDOWN nor acts on SIGTERM; only SIGKILL ends it.
    // SAFETY: SIGSTOP to a redis-server this test started.
    unsafe { libc::kill(pids[0] as i32, libc::SIGSTOP) };
    let t = Instant::now();
    g.get().stop().expect("stop");
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "stop took {:?}",
        t.elapsed()
    );
    assert!(all_gone(&pids));
    assert_nothing_left(dir.path());
}

#[test]
fn start_is_bounded_and_cleans_up() {
    let dir = tmpdir();
    // A new cluster cannot be ok before Redis's 2 s writable delay: a 300 ms bound must fail, naming a shard.
    let t = Instant::now();
    let err = Orchestrator::launch(
        opts(dir.path())
            .shards(3)
            .start_timeout(Duration::from_millis(300)),
    )
    .unwrap_err();
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "start took {:?}",
        t.elapsed()
    );
    match &err {
        Error::Shard { reason, .. } => assert!(reason.contains("within 0.3s"), "{reason}"),
        other => panic!("expected a shard error, got {other:?}"),
    }
    assert_nothing_left(dir.path());
    assert_eq!(nodes_conf_count(dir.path()), 0, "nodes-*.conf left behind");
}

#[test]
fn client_connected_to_the_orchestrator() {
    use smartredis::tensor::{Layout, TensorRef};
    for shards in [1usize, 3] {
        let dir = tmpdir();
        let g = Guard::start(opts(dir.path()).shards(shards).db_identifier("cl"));
        let o = g.0.as_ref().unwrap();
        let mut client = o.client("orc-test").expect("client");
        assert_eq!(client.is_cluster(), shards > 1);
        let data: Vec<f64> = (0..12).map(f64::from).collect();
        for i in 0..20 {
            let t = TensorRef::from_slice(&[3, 4], &data).unwrap();
            client
                .put_tensor(&format!("u-{i}"), &t)
                .expect("put_tensor");
        }
        let back = client
            .get_tensor("u-7", Layout::Contiguous)
            .expect("get_tensor");
        assert_eq!(back.dims, vec![3, 4]);
        assert_eq!(back.data.as_slice::<f64>(), &data[..]);
    }
    // Not started: a clear error instead of a hang.
    let o = Orchestrator::new(OrchestratorOptions::new()).unwrap();
    assert!(o.client("x").is_err());
}

/// How many cluster `nodes-*.conf` files are in `dir`.
fn nodes_conf_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("nodes-")
        })
        .count()
}

/// `CONFIG GET name` on one server: the value.
fn config_get(con: &mut redis::Connection, name: &str) -> String {
    let v: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg(name)
        .query(con)
        .unwrap();
    v[1].clone()
}

/// Another server on a port a shard was given (taken between "found free" and the shard's bind) is never taken
/// for the shard: the launcher checks the run marker, the test fixture the PID it spawned.
#[test]
fn a_server_on_our_port_is_ours_only_by_identity() {
    let other = testkit::RedisServer::options().start();
    let mut con = other.connection();
    smartredis::orchestrator::local::carries_run(&mut con, "testkit")
        .expect("the fixture's run marker");
    let e = smartredis::orchestrator::local::carries_run(&mut con, "0123456789abcdef").unwrap_err();
    assert!(e.contains("not a shard of this run"), "{e}");
    assert_eq!(testkit::server_pid(&mut con), Some(other.pid()));
    // A second fixture server on the same port: its own process cannot bind and exits; the first one's PING
    // does not pass for it.
    let e = testkit::RedisServer::options()
        .port(other.port)
        .try_start()
        .err()
        .expect("a server whose port is taken does not start");
    assert!(e.contains("Address already in use"), "{e}");
}
