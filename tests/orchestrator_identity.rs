//! `stop` signals only what the store started (issue 13, item 2), `status` only reads, CPU indices are checked
//! before any fork (item 3), and `smartredis env` names a socket store by its `unix://` address (item 7).

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use smartredis::orchestrator::{
    state::pid_is_alive, Error, Orchestrator, OrchestratorOptions, ShardState, State, STATE_FILE,
};

const BIN: &str = env!("CARGO_BIN_EXE_smartredis");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run smartredis")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn opts(dir: &Path) -> OrchestratorOptions {
    OrchestratorOptions::new()
        .dir(dir)
        .module(false)
        .stop_timeout(Duration::from_secs(3))
}

fn gone(pid: u32) -> bool {
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if !pid_is_alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

/// A process that is not ours to stop; killed (and reaped) when dropped.
struct Bystander(std::process::Child);

impl Bystander {
    fn sleep() -> Bystander {
        Bystander(
            Command::new("sleep")
                .arg("300")
                .spawn()
                .expect("spawn sleep"),
        )
    }
    fn alive(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(None))
    }
}

impl Drop for Bystander {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn edit_state(dir: &Path, f: impl FnOnce(&mut State)) -> State {
    let mut st = State::load(dir).ok().flatten().expect("state file");
    let original = st.clone();
    f(&mut st);
    st.save(dir).expect("save state");
    original
}

#[test]
fn stop_never_signals_a_process_that_is_not_the_recorded_shard() {
    let tmp = tempfile::tempdir().unwrap();
    let orc = Orchestrator::launch(opts(tmp.path())).expect("launch");
    let real_pid = orc.pids()[0];
    orc.detach();
    let mut bystander = Bystander::sleep();
    let sleep_pid = bystander.0.id();

    // The record now points at an unrelated `sleep` (as if the PID had been reused, or the file edited): the
    // recorded shard is reported gone and nothing is signalled.
    let original = edit_state(tmp.path(), |st| st.shards[0].pid = sleep_pid);
    let out = run(&["status", "--dir", tmp.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("another process"), "{}", text(&out));
    let out = run(&["stop", "--dir", tmp.path().to_str().unwrap()]);
    assert!(bystander.alive(), "stop signalled an unrelated process");
    assert!(out.status.success(), "{}", text(&out));
    assert!(pid_is_alive(real_pid));
    original.save(tmp.path()).unwrap();
    // The same with the server's name: `sleep` given the recorded start time is still not the recorded program.
    let sleep_start = smartredis::orchestrator::state::process_identity(sleep_pid)
        .map(|i| i.start_time)
        .unwrap_or(0);
    edit_state(tmp.path(), |st| {
        st.shards[0].pid = sleep_pid;
        st.shards[0].start_time = sleep_start;
    });
    let out = run(&["stop", "--dir", tmp.path().to_str().unwrap()]);
    assert!(bystander.alive(), "stop signalled an unrelated process");
    assert!(out.status.success(), "{}", text(&out));
    original.save(tmp.path()).unwrap();

    // An empty identity is never trusted either, whatever runs under the PID.
    edit_state(tmp.path(), |st| {
        st.shards[0].exe = Default::default();
        st.shards[0].start_time = 0;
    });
    let e = Orchestrator::attach(tmp.path()).unwrap().stop();
    assert!(matches!(e, Err(Error::NotOurs(_))), "{e:?}");
    assert!(pid_is_alive(real_pid));

    // A different run id: the recorded process is a redis-server of another store.
    edit_state(tmp.path(), |st| st.run_id = "0000000000000000".into());
    let e = Orchestrator::attach(tmp.path()).unwrap().stop();
    assert!(matches!(e, Err(Error::NotOurs(_))), "{e:?}");
    assert!(pid_is_alive(real_pid));

    // The true record stops the true shard.
    original.save(tmp.path()).unwrap();
    let out = run(&["stop", "--dir", tmp.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(gone(real_pid));
    assert!(bystander.alive());
}

#[test]
fn stop_does_not_shut_down_an_unrelated_server_on_the_recorded_port() {
    let tmp = tempfile::tempdir().unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    // Another store (another run id) plays the unrelated redis-server.
    let mut other = Orchestrator::launch(opts(other_dir.path())).expect("launch other");
    let mine = Orchestrator::launch(opts(tmp.path())).expect("launch");
    let my_pid = mine.pids()[0];
    mine.detach();
    let victim = other.shards()[0].clone();
    let original = edit_state(tmp.path(), |st| {
        st.shards[0].pid = victim.pid;
        st.shards[0].port = victim.port;
        st.shards[0].start_time = victim.start_time;
    });
    let e = Orchestrator::attach(tmp.path()).unwrap().stop();
    assert!(matches!(e, Err(Error::NotOurs(_))), "{e:?}");
    assert!(other.is_active(), "stop shut down another store's server");
    original.save(tmp.path()).unwrap();
    Orchestrator::attach(tmp.path()).unwrap().stop().unwrap();
    assert!(gone(my_pid));
    other.stop().unwrap();
}

#[test]
fn a_state_file_others_can_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let orc = Orchestrator::launch(opts(tmp.path())).expect("launch");
    let pid = orc.pids()[0];
    orc.detach();
    let path = tmp.path().join(STATE_FILE);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = run(&["stop", "--dir", tmp.path().to_str().unwrap()]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("writable by other users"),
        "{}",
        text(&out)
    );
    assert!(pid_is_alive(pid));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    Orchestrator::attach(tmp.path()).unwrap().stop().unwrap();
    assert!(gone(pid));
}

#[test]
fn status_after_every_shard_crashed_reports_them_and_keeps_the_record() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    let orc = Orchestrator::launch(opts(tmp.path()).shards(2)).expect("launch");
    let pids = orc.pids();
    orc.detach();
    for &p in &pids {
        // SAFETY: SIGKILL to redis-servers this test started.
        unsafe { libc::kill(p as i32, libc::SIGKILL) };
    }
    assert!(pids.iter().all(|&p| gone(p)));
    for _ in 0..2 {
        let out = run(&["status", "--dir", dir]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(stdout.matches("exited").count(), 2, "{}", text(&out));
        assert!(
            tmp.path().join(STATE_FILE).exists(),
            "status deleted the record"
        );
    }
    let st = Orchestrator::attach(tmp.path()).unwrap().status();
    assert!(st.iter().all(|s| s.state == ShardState::Exited));
    // stop cleans up a crashed record.
    let out = run(&["stop", "--dir", dir]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!tmp.path().join(STATE_FILE).exists());
}

#[test]
fn cpu_indices_past_the_machine_are_an_option_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&[
        "start",
        "--dir",
        tmp.path().to_str().unwrap(),
        "--no-module",
        "--cpus",
        "1024",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("CPU 1024 does not exist"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("signal"), "{}", text(&out));
    assert!(!tmp.path().join(STATE_FILE).exists());
    let e = Orchestrator::new(opts(tmp.path()).cpus([99_999]));
    assert!(matches!(e, Err(Error::InvalidOption(_))), "{e:?}");
}

#[test]
fn env_names_a_socket_store_by_its_unix_address() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    let out = run(&["start", "--dir", dir, "--no-module", "--socket", "r.sock"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&["env", "--dir", dir]);
    let sock = tmp.path().join("r.sock");
    let stop = run(&["stop", "--dir", dir]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("export SSDB=\"unix://{}\"", sock.display())),
        "{}",
        text(&out)
    );
    assert!(stop.status.success(), "{}", text(&stop));
}
