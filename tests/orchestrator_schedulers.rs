//! PBS Pro, LSF and Cobalt (and Slurm's generated text): golden tests of the scripts and command lines each
//! launcher generates for a separate store job and inside an allocation (`--dry-run`), each script checked with
//! `bash -n`; then a fake scheduler CLI (`tests/fake-scheduler/fake-scheduler.sh` on `PATH` as qsub, qstat, qdel,
//! bsub, bjobs, bkill, mpiexec, jsrun, aprun) drives the same launcher code end to end: start, status, stop.
//!
//! `UPDATE_GOLDEN=1 cargo test --release -p smartredis --test orchestrator_schedulers` rewrites `tests/golden/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use smartredis::orchestrator::{Orchestrator, State};

const BIN: &str = env!("CARGO_BIN_EXE_smartredis");
const JOB_VARS: [&str; 8] = [
    "SLURM_JOB_ID",
    "SLURM_JOB_NODELIST",
    "PBS_JOBID",
    "PBS_NODEFILE",
    "LSB_JOBID",
    "LSB_DJOB_HOSTFILE",
    "COBALT_JOBID",
    "COBALT_NODEFILE",
];

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn smartredis(args: &[&str], env: &[(&str, String)], path_prefix: Option<&Path>) -> Output {
    let mut c = Command::new(BIN);
    c.args(args);
    for v in JOB_VARS {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    if let Some(p) = path_prefix {
        let path = std::env::var("PATH").unwrap_or_default();
        c.env("PATH", format!("{}:{path}", p.display()));
    }
    c.output().expect("run smartredis")
}

/// `smartredis start` of a store without the module through the fake scheduler on `bin`: `shards` shards on
/// `nodes` nodes from port `port`, in `dir`.
fn start_store(
    launcher: &str,
    shards: usize,
    nodes: usize,
    port: u16,
    dir: &str,
    env: &[(&str, String)],
    bin: &Path,
) -> Output {
    let (shards, nodes, port) = (shards.to_string(), nodes.to_string(), port.to_string());
    smartredis(
        &[
            "start",
            "--launcher",
            launcher,
            "--shards",
            &shards,
            "--nodes",
            &nodes,
            "--port",
            &port,
            "--no-module",
            "--timeout",
            "30",
            "--dir",
            dir,
        ],
        env,
        Some(bin),
    )
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The dry run of a 3-shard store on 3 nodes with every job option, run id and machine paths made stable.
fn dry_run(launcher: &str, env: &[(&str, String)]) -> String {
    let o = smartredis(
        &[
            "start",
            "--dry-run",
            "--launcher",
            launcher,
            "--shards",
            "3",
            "--nodes",
            "3",
            "--port",
            "6780",
            "--walltime",
            "01:00:00",
            "--account",
            "proj42",
            "--queue",
            "debug",
            "--cpus-per-shard",
            "2",
            "--redis-server",
            "/opt/redis/bin/redis-server",
            "--module",
            "/opt/smartredis/lib/libsmartredis_ai.so",
            "--dir",
            "/scratch/store",
        ],
        env,
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    // The run id is fresh on every start.
    let re = out
        .split("smartredis-run=")
        .skip(1)
        .filter_map(|s| s.get(..16))
        .next()
        .map(str::to_string);
    match re {
        Some(id) => out.replace(&id, "<RUN_ID>"),
        None => out,
    }
}

/// Each shell section of a dry run (split at `# --- NAME ---` lines, resource files left out) passes `bash -n`.
fn check_bash_syntax(name: &str, text: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let mut sections: Vec<(String, String)> = vec![("head".into(), String::new())];
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("# --- ") {
            sections.push((h.trim_end_matches(" ---").to_string(), String::new()));
        } else if let Some(s) = sections.last_mut() {
            s.1.push_str(line);
            s.1.push('\n');
        }
    }
    for (i, (title, body)) in sections.iter().enumerate() {
        if title.ends_with(".erf") {
            continue;
        }
        let f = tmp.path().join(format!("section-{i}.sh"));
        std::fs::write(&f, body).unwrap();
        let o = Command::new("bash").arg("-n").arg(&f).output().unwrap();
        assert!(
            o.status.success(),
            "{name}: section {title:?} fails bash -n: {}\n{body}",
            text_of(&o)
        );
    }
}

fn text_of(o: &Output) -> String {
    text(o)
}

fn golden(name: &str, actual: &str) {
    let path = golden_dir().join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(
        expected,
        actual,
        "{name} differs from {} (UPDATE_GOLDEN=1 rewrites it after a deliberate change)",
        path.display()
    );
    check_bash_syntax(name, actual);
}

/// A node file listing three nodes, as the schedulers write them (one line per slot).
fn node_file(dir: &Path) -> String {
    let f = dir.join("nodes");
    std::fs::write(&f, "nid001\nnid001\nnid002\nnid003\nnid003\n").unwrap();
    f.display().to_string()
}

#[test]
fn generated_job_scripts_and_launch_lines_match_the_golden_files() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = node_file(tmp.path());
    for launcher in ["slurm", "pbs", "lsf", "cobalt"] {
        golden(&format!("{launcher}-job"), &dry_run(launcher, &[]));
    }
    golden(
        "pbs-alloc",
        &dry_run(
            "auto",
            &[
                ("PBS_JOBID", "77.server".into()),
                ("PBS_NODEFILE", nodes.clone()),
            ],
        ),
    );
    golden(
        "lsf-alloc",
        &dry_run(
            "auto",
            &[
                ("LSB_JOBID", "77".into()),
                ("LSB_DJOB_HOSTFILE", nodes.clone()),
            ],
        ),
    );
    golden(
        "cobalt-alloc",
        &dry_run(
            "auto",
            &[("COBALT_JOBID", "77".into()), ("COBALT_NODEFILE", nodes)],
        ),
    );
}

/// A base port of this test process's own (several worktrees may run these tests at once).
fn base_port() -> u16 {
    12000 + (std::process::id() % 300) as u16 * 20
}

fn eventually(bound: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + bound;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn store_processes(run_id: &str) -> bool {
    Command::new("pgrep")
        .args(["-f", &format!("smartredis-run={run_id}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(true)
}

/// A bin directory with the fake scheduler under every command name.
fn fake_bin(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let fake =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fake-scheduler/fake-scheduler.sh");
    for name in [
        "qsub", "qstat", "qdel", "bsub", "bjobs", "bkill", "mpiexec", "jsrun", "aprun",
    ] {
        std::os::unix::fs::symlink(&fake, bin.join(name)).unwrap();
    }
    bin
}

/// Stops the store in `dir` when dropped, so that a failing test leaves no process behind.
struct StopOnDrop<'a> {
    dir: &'a str,
    env: Vec<(&'a str, String)>,
    bin: PathBuf,
}

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        if Path::new(self.dir)
            .join("smartredis-orchestrator.json")
            .exists()
        {
            let _ = smartredis(&["stop", "--dir", self.dir], &self.env, Some(&self.bin));
        }
    }
}

/// Starts a 3-shard store through the fake scheduler, checks it, stops it; returns the calls the fake recorded.
fn drive(launcher: &str, flavor: &str, in_allocation: bool, port: u16) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let sched = tmp.path().join("sched");
    std::fs::create_dir_all(&sched).unwrap();
    let bin = fake_bin(tmp.path());
    let host = String::from_utf8_lossy(&Command::new("hostname").output().unwrap().stdout)
        .trim()
        .to_string();
    let nodefile = sched.join("alloc-nodes");
    std::fs::write(&nodefile, format!("{host}\n{host}\n")).unwrap();
    let mut env: Vec<(&str, String)> = vec![
        ("FAKE_SCHED_DIR", sched.display().to_string()),
        ("FAKE_FLAVOR", flavor.to_string()),
    ];
    if in_allocation {
        let (id, file) = match launcher {
            "pbs" => ("PBS_JOBID", "PBS_NODEFILE"),
            "lsf" => ("LSB_JOBID", "LSB_DJOB_HOSTFILE"),
            _ => ("COBALT_JOBID", "COBALT_NODEFILE"),
        };
        env.push((id, "9".into()));
        // The allocation (job 9) runs as long as this test does.
        std::fs::create_dir_all(sched.join("jobs")).unwrap();
        std::fs::write(sched.join("jobs/9.pid"), std::process::id().to_string()).unwrap();
        env.push((file, nodefile.display().to_string()));
    }
    let dir = store.to_str().unwrap();
    let _guard = StopOnDrop {
        dir,
        env: env.clone(),
        bin: bin.clone(),
    };
    let launcher_arg = if in_allocation { "auto" } else { launcher };
    let o = start_store(launcher_arg, 3, 1, port, dir, &env, &bin);
    let calls = std::fs::read_to_string(sched.join("calls.log")).unwrap_or_default();
    assert!(o.status.success(), "{}\ncalls:\n{calls}", text(&o));
    for script in ["smartredis-shard.sh", "smartredis-store.sh"] {
        let f = store.join(script);
        if f.exists() {
            let o = Command::new("bash").arg("-n").arg(&f).output().unwrap();
            assert!(o.status.success(), "{script}: {}", text(&o));
        }
    }
    // (Status through the fake scheduler needs its PATH: it is asked through the CLI below.)
    let orc = Orchestrator::attach(&store).unwrap();
    assert_eq!(orc.launcher_kind().name(), launcher);
    assert_eq!(orc.ports(), vec![port, port + 1, port + 2]);
    let run_id = orc.run_id().to_string();
    let mut con = redis::Client::open(format!("redis://{}/", orc.addresses()[0]))
        .unwrap()
        .get_connection()
        .unwrap();
    // A scheduler's shards bind their node's address, so the store requires a password by default.
    let password = orc.access().password.clone().expect("auth on by default");
    let _: () = redis::cmd("AUTH")
        .arg(password.expose())
        .query(&mut con)
        .unwrap();
    let info: String = redis::cmd("CLUSTER").arg("INFO").query(&mut con).unwrap();
    assert!(info.contains("cluster_state:ok"), "{info}");
    let st = State::load(&store).unwrap().unwrap();
    assert_eq!(st.job_id.is_some(), !in_allocation);
    let o = smartredis(&["status", "--dir", dir], &env, Some(&bin));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(text(&o).matches("running").count(), 3, "{}", text(&o));
    // A killed shard is reported on its own (its node's other shards run on), with how it ended.
    let victim = &orc.shards()[1];
    let killed = Command::new("pkill")
        .args([
            "-KILL",
            "-f",
            &format!("{}:{} .*smartredis-run={run_id}", victim.host, victim.port),
        ])
        .output()
        .unwrap();
    assert!(killed.status.success(), "{}", text(&killed));
    assert!(eventually(Duration::from_secs(10), || {
        smartredis(&["status", "--dir", dir], &env, Some(&bin))
            .status
            .code()
            == Some(1)
    }));
    let st = text(&smartredis(&["status", "--dir", dir], &env, Some(&bin)));
    let line = st.lines().find(|l| l.contains("shard   1")).unwrap_or("");
    assert!(
        line.contains("exited") && line.contains("killed by signal 9"),
        "{st}"
    );
    assert_eq!(st.matches("  running  ").count(), 2, "{st}");
    let o = smartredis(&["stop", "--dir", dir], &env, Some(&bin));
    assert!(o.status.success(), "{}", text(&o));
    assert!(eventually(Duration::from_secs(10), || !store_processes(
        &run_id
    )));
    assert!(!store.join("smartredis-orchestrator.json").exists());
    std::fs::read_to_string(sched.join("calls.log")).unwrap_or_default()
}

#[test]
fn pbs_store_job_and_allocation_through_a_fake_scheduler() {
    let calls = drive("pbs", "pbs", false, base_port());
    assert!(calls.lines().any(|l| l.starts_with("qsub ")), "{calls}");
    assert!(calls.lines().any(|l| l.starts_with("qstat -f ")), "{calls}");
    assert!(
        calls.lines().any(|l| l.starts_with("mpiexec -n 1 --host ")),
        "{calls}"
    );
    let calls = drive("pbs", "pbs", true, base_port() + 3);
    assert!(!calls.contains("qsub"), "{calls}");
    // One launch per node runs that node's three shards.
    assert_eq!(calls.matches("mpiexec -n 1 --host").count(), 1, "{calls}");
}

#[test]
fn lsf_store_job_and_allocation_through_a_fake_scheduler() {
    let calls = drive("lsf", "lsf", false, base_port() + 6);
    assert!(calls.lines().any(|l| l == "bsub "), "{calls}");
    assert!(
        calls
            .lines()
            .any(|l| l.starts_with("bjobs -noheader -o stat ")),
        "{calls}"
    );
    assert_eq!(calls.matches("jsrun --erf_input=").count(), 1, "{calls}");
    let calls = drive("lsf", "lsf", true, base_port() + 9);
    assert!(!calls.contains("bsub"), "{calls}");
    assert_eq!(calls.matches("jsrun --erf_input=").count(), 1, "{calls}");
}

#[test]
fn cobalt_store_job_and_allocation_through_a_fake_scheduler() {
    let calls = drive("cobalt", "cobalt", false, base_port() + 12);
    assert!(
        calls.lines().any(|l| l.starts_with("qsub --mode script ")),
        "{calls}"
    );
    assert!(
        calls.lines().any(|l| l.starts_with("aprun -n 1 -N 1 -L ")),
        "{calls}"
    );
    let calls = drive("cobalt", "cobalt", true, base_port() + 15);
    assert!(!calls.contains("qsub"), "{calls}");
    assert_eq!(calls.matches("aprun -n 1 -N 1 -L").count(), 1, "{calls}");
}

#[test]
fn a_store_job_that_ends_early_is_reported_with_its_output_and_exit() {
    // The fake's node file lists one node; a store job on two nodes ends at once, saying so.
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let sched = tmp.path().join("sched");
    std::fs::create_dir_all(&sched).unwrap();
    let bin = fake_bin(tmp.path());
    let env: Vec<(&str, String)> = vec![
        ("FAKE_SCHED_DIR", sched.display().to_string()),
        ("FAKE_FLAVOR", "pbs".to_string()),
    ];
    let dir = store.to_str().unwrap();
    let _guard = StopOnDrop {
        dir,
        env: env.clone(),
        bin: bin.clone(),
    };
    let port = base_port() + 18;
    let o = start_store("pbs", 2, 2, port, dir, &env, &bin);
    let out = text(&o);
    assert!(!o.status.success(), "{out}");
    assert!(out.contains("store job 101.fake ended"), "{out}");
    // The shard not yet placed is named with the port it was planned on.
    assert!(out.contains(&format!("shard 0 (port {port})")), "{out}");
    assert!(out.contains("its script ended with exit code 1"), "{out}");
    assert!(
        out.contains("the job's node list names 1 node(s); the store needs 2"),
        "{out}"
    );
}
