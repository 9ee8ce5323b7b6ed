//! The `smartredis` CLI as a ctest fixture would use it: `start` returns once ready, `status`/`env` read the
//! recorded state, `stop` leaves nothing running; `start --foreground` stops what it started on SIGINT.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use smartredis::orchestrator::{state::pid_is_alive, Orchestrator, STATE_FILE};

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

/// Stops whatever is recorded in the directory when the test ends.
struct StopOnDrop<'a>(&'a Path);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        if let Ok(mut o) = Orchestrator::attach(self.0) {
            let _ = o.stop();
        }
    }
}

fn gone(pids: &[u32]) -> bool {
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if pids.iter().all(|&p| !pid_is_alive(p)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

#[test]
fn start_status_env_stop() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    let _guard = StopOnDrop(tmp.path());
    let out = run(&["start", "--dir", dir, "--shards", "3", "--db-id", "ci"]);
    assert!(out.status.success(), "{}", text(&out));

    let out = run(&["status", "--dir", dir]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("running")
            .count(),
        3,
        "{}",
        text(&out)
    );

    // The machine-readable form: one JSON object (README, "`smartredis status --json`").
    let out = run(&["status", "--json", "--dir", dir]);
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status --json is JSON");
    assert_eq!(v["format"], 1, "{v}");
    assert_eq!(v["recorded"], true, "{v}");
    assert_eq!(v["all_running"], true, "{v}");
    assert_eq!(v["db_type"], "Clustered", "{v}");
    assert_eq!(v["env"]["SR_DB_TYPE_ci"], "Clustered", "{v}");
    let shards = v["shards"].as_array().expect("shards array");
    assert_eq!(shards.len(), 3, "{v}");
    for (i, s) in shards.iter().enumerate() {
        assert_eq!(s["index"], i, "{v}");
        assert_eq!(s["state"], "running", "{v}");
        assert!(s["pid"].as_u64().is_some_and(|p| p > 0), "{v}");
        assert!(
            s["address"]
                .as_str()
                .is_some_and(|a| a.starts_with("127.0.0.1:")),
            "{v}"
        );
    }
    assert_eq!(
        v["env"]["SSDB_ci"],
        shards
            .iter()
            .map(|s| s["address"].as_str().unwrap())
            .collect::<Vec<_>>()
            .join(","),
        "{v}"
    );

    let out = run(&["env", "--dir", dir]);
    assert!(out.status.success(), "{}", text(&out));
    let env = String::from_utf8_lossy(&out.stdout).to_string();
    let ssdb = env
        .lines()
        .find_map(|l| l.strip_prefix("export SSDB_ci=\""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("SSDB_ci line")
        .to_string();
    assert!(env.contains("export SR_DB_TYPE_ci=\"Clustered\""), "{env}");
    let nodes: Vec<String> = ssdb.split(',').map(|a| format!("redis://{a}/")).collect();
    assert_eq!(nodes.len(), 3);
    let mut con = redis::cluster::ClusterClient::new(nodes)
        .unwrap()
        .get_connection()
        .unwrap();
    let _: () = redis::cmd("SET").arg("x").arg("1").query(&mut con).unwrap();

    // A second start in the same directory is refused and names the running one.
    let out = run(&["start", "--dir", dir]);
    assert!(!out.status.success());
    assert!(text(&out).contains("already running"), "{}", text(&out));

    // A killed shard shows up in `status` (exit 1).
    let pids = Orchestrator::attach(tmp.path()).unwrap().pids();
    // SAFETY: SIGKILL to a redis-server this test started.
    unsafe { libc::kill(pids[2] as i32, libc::SIGKILL) };
    assert!(gone(&pids[2..]));
    let out = run(&["status", "--dir", dir]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("exited"),
        "{}",
        text(&out)
    );

    let out = run(&["status", "--json", "--dir", dir]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status --json is JSON");
    assert_eq!(v["all_running"], false, "{v}");
    assert_eq!(v["shards"][2]["state"], "exited", "{v}");

    let out = run(&["stop", "--dir", dir]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(gone(&pids));
    assert!(!tmp.path().join(STATE_FILE).exists());

    let out = run(&["status", "--dir", dir]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = run(&["status", "--json", "--dir", dir]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status --json is JSON");
    assert_eq!(v["recorded"], false, "{v}");
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("no orchestrator")),
        "{v}"
    );
    // Stopping again is harmless.
    assert!(run(&["stop", "--dir", dir]).status.success());
}

#[test]
fn foreground_stops_on_sigint() {
    let tmp = tempfile::tempdir().unwrap();
    let _guard = StopOnDrop(tmp.path());
    let mut child = Command::new(BIN)
        .args(["start", "--foreground", "--no-module", "--dir"])
        .arg(tmp.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let ready = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.contains("running in the foreground"));
    assert!(ready);
    let pids = Orchestrator::attach(tmp.path()).unwrap().pids();
    // SAFETY: SIGINT to the CLI process this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(status.success());
    assert!(gone(&pids));
    assert!(!tmp.path().join(STATE_FILE).exists());
}

#[test]
fn errors_and_help() {
    for cmd in ["start", "status", "stop", "env"] {
        let out = run(&[cmd, "--help"]);
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("smartredis {cmd}")));
    }
    assert!(run(&["--help"]).status.success());
    // Usage errors exit 2 and name the option and the form it expects.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("Usage: smartredis"), "{}", text(&out));
    let out = run(&["start", "--shards", "zero"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--shards <N>"), "{}", text(&out));
    let out = run(&["start", "--bogus"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--bogus"), "{}", text(&out));
    let out = run(&["start", "--cpus", "4-2"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("--cpus <LIST>") && text(&out).contains("e.g. 0-3,8"),
        "{}",
        text(&out)
    );
    let out = run(&["run", "--backend", "TORCH", "--", "true"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("NAME=PATH"), "{}", text(&out));
    let out = run(&["stop", "--timeout", "soon"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--timeout <SECS>"), "{}", text(&out));
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&[
        "start",
        "--dir",
        tmp.path().to_str().unwrap(),
        "--redis-server",
        "/nope/redis-server",
    ]);
    assert!(!out.status.success());
    assert!(text(&out).contains("/nope/redis-server"), "{}", text(&out));
    let out = run(&["env", "--dir", tmp.path().to_str().unwrap()]);
    assert!(!out.status.success() && text(&out).contains("no orchestrator is running"));
}

#[test]
fn sigint_during_start_stops_what_was_started() {
    let tmp = tempfile::tempdir().unwrap();
    let _guard = StopOnDrop(tmp.path());
    let child = Command::new(BIN)
        .args(["start", "--shards", "3", "--dir"])
        .arg(tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The state file appears as soon as the shards are spawned; the cluster needs ~2 s more to be ready.
    let state = tmp.path().join(STATE_FILE);
    let end = Instant::now() + Duration::from_secs(10);
    while !state.exists() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(state.exists());
    let pids = Orchestrator::attach(tmp.path())
        .map(|o| o.pids())
        .unwrap_or_default();
    // SAFETY: SIGINT to the CLI process this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(gone(&pids));
    assert!(!state.exists());
}

#[test]
fn run_wraps_a_command_with_a_store() {
    let tmp = tempfile::tempdir().unwrap();
    let _guard = StopOnDrop(tmp.path());
    let dir = tmp.path().to_str().unwrap();
    // The command sees the store's environment and state; its exit status is passed through.
    let out = run(&[
        "run",
        "--dir",
        dir,
        "--shards",
        "3",
        "--db-id",
        "w",
        "--",
        "sh",
        "-c",
        "test \"$SR_DB_TYPE_w\" = Clustered && test -n \"$SSDB_w\" && cat \"$0/smartredis-orchestrator.json\"; exit 3",
        dir,
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let state: smartredis::orchestrator::State =
        serde_json::from_slice(&out.stdout).expect("the command printed the state file");
    let pids: Vec<u32> = state.shards.iter().map(|s| s.pid).collect();
    assert_eq!(pids.len(), 3);
    assert!(gone(&pids));
    assert!(!tmp.path().join(STATE_FILE).exists());
    // Without --dir: a scratch directory, removed afterwards; a command that cannot run gives 127.
    let out = run(&["run", "--no-module", "--", "/nonexistent/command"]);
    assert_eq!(out.status.code(), Some(127), "{}", text(&out));
    let out = run(&["run", "--help"]);
    assert!(out.status.success() && text(&out).contains("smartredis run"));
    let out = run(&["run", "--shards", "2"]);
    assert!(!out.status.success() && text(&out).contains("no command"));
}

#[test]
fn run_with_a_relative_socket_puts_it_in_the_store_directory() {
    // As the ctest `unix` mode runs: no --dir, so each run has its own scratch directory and socket.
    let out = run(&[
        "run",
        "--no-module",
        "--socket",
        "redis.sock",
        "--",
        "sh",
        "-c",
        "s=${SSDB#unix://}; case \"$s\" in /*/redis.sock) test -S \"$s\" && echo \"$s\";; *) exit 4;; esac",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let socket = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let dir = Path::new(&socket).parent().expect("the socket's directory");
    assert!(!dir.exists(), "the scratch directory {dir:?} is removed");
}

#[test]
fn version_is_the_crate_version() {
    for flag in ["--version", "-V"] {
        let out = run(&[flag]);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("smartredis {}", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef smartredis"),
        ("fish", "complete -c smartredis"),
    ] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains(marker),
            "{shell}: no {marker:?} in\n{script}"
        );
        // Subcommands and their options are completed.
        assert!(
            script.contains("start") && script.contains("shards") && script.contains("json"),
            "{shell}"
        );
    }
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("bash"),
        "the error lists the shells: {}",
        text(&out)
    );
    // A generated bash script is valid bash.
    let out = run(&["completions", "bash"]);
    let check = Command::new("bash")
        .args(["-n", "-c"])
        .arg(String::from_utf8_lossy(&out.stdout).as_ref())
        .status()
        .expect("run bash -n");
    assert!(check.success());
}
