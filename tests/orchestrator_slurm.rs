//! The Slurm launcher against a real single-machine Slurm (`scripts/slurm/setup-local-slurm.sh`, 3 emulated nodes
//! on 127.0.0.2-4, started by `make test`): 3 shards inside an `salloc` allocation on one node, the same as a
//! batch job, and 3 shards across 3 nodes — each then used through the C client, checked with `status`, and
//! stopped leaving no job and no process; a killed shard and an outside `scancel` are reported; a named interface
//! (`lo`) is resolved on the node, and a step that fails is reported with the shard, the wrapper's and Slurm's words;
//! a node taken down (`scontrol update state=down`) is reported with its shard, its name and Slurm's words while
//! the other shards run on (that test has the nodes to itself: the others hold a shared lock, it an exclusive one).
//! Without root or without a running Slurm, each test says loudly that it was skipped and why.

use std::ffi::c_void;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use smartredis::error::SRError;
use smartredis::ffi::client::{put_tensor, unpack_tensor, DeleteCClient};
use smartredis::ffi::orchestrator::{
    sr_orchestrator_attach, sr_orchestrator_create_client, sr_orchestrator_free,
};
use smartredis::orchestrator::Orchestrator;

const BIN: &str = env!("CARGO_BIN_EXE_smartredis");
const DOUBLE: smartredis::ffi::CTensorType =
    smartredis::enums::SRTensorType::SRTensorTypeDouble as i32;
const CONTIGUOUS: smartredis::ffi::CMemoryLayout =
    smartredis::enums::SRMemoryLayout::SRMemLayoutContiguous as i32;

fn sh(words: &[&str]) -> Output {
    Command::new(words[0])
        .args(&words[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", words[0]))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Whether a local Slurm with at least `nodes` idle-able nodes answers; otherwise says loudly why not.
fn slurm_ready(test: &str, nodes: usize) -> bool {
    // SAFETY: geteuid has no preconditions.
    let why = if unsafe { libc::geteuid() } != 0 {
        Some("not running as root (the local Slurm of scripts/slurm/setup-local-slurm.sh needs root)".to_string())
    } else {
        match Command::new("sinfo")
            .args(["-h", "-N", "-o", "%N"])
            .output()
        {
            Err(e) => Some(format!("sinfo cannot run ({e}): Slurm is not installed")),
            Ok(o) if !o.status.success() => Some(format!(
                "sinfo failed: {} (start it with scripts/slurm/setup-local-slurm.sh)",
                text(&o).trim()
            )),
            Ok(o) => {
                let mut names: Vec<String> =
                    text(&o).split_whitespace().map(str::to_string).collect();
                names.dedup();
                (names.len() < nodes).then(|| {
                    format!(
                        "Slurm has {} node(s), this test needs {nodes} (SLURM_LOCAL_NODES=3 scripts/slurm/setup-local-slurm.sh)",
                        names.len()
                    )
                })
            }
        }
    };
    match why {
        None => true,
        Some(w) => {
            eprintln!("\n*** SKIPPED Slurm test {test}: {w} ***\n");
            false
        }
    }
}

/// What each test starts from: the local Slurm checked (`None` when it cannot be used: the test is skipped, as it
/// says loudly), the lock that keeps the node-down test apart taken (`exclusive` for that test), a fresh directory.
fn prepare(test: &str, nodes: usize, exclusive: bool) -> Option<(SlurmLock, tempfile::TempDir)> {
    if !slurm_ready(test, nodes) {
        return None;
    }
    let lock = slurm_lock(exclusive);
    Some((lock, tempfile::tempdir().unwrap()))
}

/// [`prepare`], then an allocation made by `salloc` with `args`: the lock, the store's directory and the allocation
/// (cancelled when dropped, before the directory goes).
fn prepare_inside(
    test: &str,
    nodes: usize,
    exclusive: bool,
    args: &[&str],
) -> Option<(SlurmLock, tempfile::TempDir, Allocation)> {
    let (lock, tmp) = prepare(test, nodes, exclusive)?;
    Some((lock, tmp, Allocation::new(args)))
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
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Processes carrying this store's run id.
fn store_processes(run_id: &str) -> String {
    let o = sh(&["pgrep", "-af", &format!("smartredis-run={run_id}")]);
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn squeue(args: &[&str]) -> String {
    let mut w = vec!["squeue", "-h"];
    w.extend(args);
    String::from_utf8_lossy(&sh(&w).stdout).trim().to_string()
}

/// An allocation made with `salloc --no-shell` for one test; cancelled when dropped (by a failing test too, so that
/// the next test finds the nodes free).
struct Allocation {
    job: String,
    nodes: String,
}

impl Allocation {
    fn new(args: &[&str]) -> Allocation {
        let mut words = vec!["salloc", "--no-shell"];
        words.extend(args);
        let out = text(&sh(&words));
        let job = out
            .split_whitespace()
            .skip_while(|w| *w != "allocation")
            .nth(1)
            .unwrap_or_else(|| panic!("salloc: {out}"))
            .to_string();
        let nodes = squeue(&["-j", &job, "-o", "%N"]);
        Allocation { job, nodes }
    }

    /// The environment of a program running inside the allocation.
    fn env(&self) -> [(&str, &str); 2] {
        [
            ("SLURM_JOB_ID", self.job.as_str()),
            ("SLURM_JOB_NODELIST", self.nodes.as_str()),
        ]
    }
}

impl Drop for Allocation {
    fn drop(&mut self) {
        let _ = sh(&["scancel", &self.job]);
    }
}

/// Puts and gets a tensor through the C client of the store recorded in `dir`.
fn put_get_through_c(dir: &Path) {
    let d = dir.display().to_string();
    let mut orc: *mut c_void = std::ptr::null_mut();
    assert_eq!(
        sr_orchestrator_attach(d.as_ptr().cast(), d.len(), &mut orc),
        SRError::SRNoError
    );
    let mut client: *mut c_void = std::ptr::null_mut();
    let name = "slurm";
    assert_eq!(
        sr_orchestrator_create_client(orc, name.as_ptr().cast(), name.len(), &mut client),
        SRError::SRNoError
    );
    let dims = [4usize];
    for key in ["a", "b", "c", "{x}y", "key-7"] {
        let mut data = [1.5f64, 2.5, 3.5, key.len() as f64];
        assert_eq!(
            put_tensor(
                client,
                key.as_ptr().cast(),
                key.len(),
                data.as_mut_ptr().cast(),
                dims.as_ptr(),
                1,
                DOUBLE,
                CONTIGUOUS,
            ),
            SRError::SRNoError
        );
        let mut back = [0f64; 4];
        assert_eq!(
            unpack_tensor(
                client,
                key.as_ptr().cast(),
                key.len(),
                back.as_mut_ptr().cast(),
                dims.as_ptr(),
                1,
                DOUBLE,
                CONTIGUOUS,
            ),
            SRError::SRNoError
        );
        assert_eq!(back, data);
    }
    assert_eq!(DeleteCClient(&mut client), SRError::SRNoError);
    assert_eq!(sr_orchestrator_free(&mut orc), SRError::SRNoError);
}

fn smartredis(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    // Outside an allocation unless the test says otherwise.
    if env.is_empty() {
        c.env_remove("SLURM_JOB_ID");
    }
    c.output().expect("run smartredis")
}

/// `smartredis start` of 3 shards from port `port` inside `alloc` with launcher `launcher`, which must succeed; the
/// store recorded in `dir`, attached.
fn start_inside(alloc: &Allocation, launcher: &str, port: u16, dir: &Path) -> Orchestrator {
    let port = port.to_string();
    let d = dir.to_str().unwrap();
    let o = smartredis(
        &[
            "start",
            "--launcher",
            launcher,
            "--shards",
            "3",
            "--port",
            &port,
            "--timeout",
            "30",
            "--dir",
            d,
        ],
        &alloc.env(),
    );
    assert!(o.status.success(), "{}", text(&o));
    Orchestrator::attach(dir).unwrap()
}

fn status(dir: &str) -> (Option<i32>, String) {
    let o = smartredis(&["status", "--dir", dir], &[]);
    (o.status.code(), text(&o))
}

#[test]
fn three_shards_inside_an_salloc_allocation_on_one_node() {
    let args = ["-N1", "-n3", "-J", "sr-test-alloc"];
    let Some((_lock, tmp, alloc)) = prepare_inside("salloc, 1 node", 1, false, &args) else {
        return;
    };
    let dir = tmp.path().to_str().unwrap();
    let job = alloc.job.clone();
    let base = base_port();
    let orc = start_inside(&alloc, "auto", base, tmp.path());
    let run_id = orc.run_id().to_string();
    let hosts: Vec<&str> = orc.shards().iter().map(|s| s.host.as_str()).collect();
    assert!(hosts.iter().all(|h| *h == hosts[0]), "{hosts:?}");
    assert_eq!(orc.ports(), vec![base, base + 1, base + 2]);
    assert!(orc
        .shards()
        .iter()
        .all(|s| s.job_id.as_deref() == Some(job.as_str()) && s.step_id.is_some()));
    put_get_through_c(tmp.path());
    let (code, st) = status(dir);
    assert_eq!(code, Some(0), "{st}");
    assert_eq!(st.matches("running").count(), 3, "{st}");

    // A killed shard is reported, with its step.
    let victim = &orc.shards()[1];
    let pattern = format!("smartredis-run={run_id}");
    let killed = sh(&[
        "pkill",
        "-KILL",
        "-f",
        &format!("{}:{} .*{pattern}", victim.host, victim.port),
    ]);
    assert!(killed.status.success(), "{}", text(&killed));
    assert!(eventually(Duration::from_secs(20), || status(dir).0 == Some(1)));
    let (_, st) = status(dir);
    let line = st.lines().find(|l| l.contains("shard   1")).unwrap_or("");
    assert!(line.contains("exited") && line.contains("step"), "{st}");

    let o = smartredis(&["stop", "--dir", dir], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(eventually(Duration::from_secs(10), || squeue(&[
        "-s", "-j", &job, "-o", "%i"
    ])
    .lines()
    .all(
        |l| !l.starts_with(&format!("{job}.")) || l.ends_with("extern")
    )));
    assert!(eventually(Duration::from_secs(10), || store_processes(
        &run_id
    )
    .is_empty()));
    assert!(!tmp.path().join("smartredis-orchestrator.json").exists());
}

/// Starts a store job, uses it, checks status, stops it: no job and no process left.
fn batch_store(dir: &Path, nodes: usize, port: u16) -> (String, String) {
    let d = dir.to_str().unwrap();
    let o = smartredis(
        &[
            "start",
            "--launcher",
            "slurm",
            "--shards",
            "3",
            "--nodes",
            &nodes.to_string(),
            "--port",
            &port.to_string(),
            "--walltime",
            "00:10:00",
            "--dir",
            d,
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let orc = Orchestrator::attach(dir).unwrap();
    let state = smartredis::orchestrator::State::load(dir).unwrap().unwrap();
    let job = state.job_id.clone().expect("a store job is recorded");
    let mut hosts: Vec<String> = orc.shards().iter().map(|s| s.host.clone()).collect();
    hosts.sort();
    hosts.dedup();
    assert_eq!(hosts.len(), nodes, "{:?}", orc.addresses());
    put_get_through_c(dir);
    let (code, st) = status(d);
    assert_eq!(code, Some(0), "{st}");
    (job, orc.run_id().to_string())
}

#[test]
fn three_shards_as_a_batch_job_on_one_node() {
    let Some((_lock, tmp)) = prepare("sbatch, 1 node", 1, false) else {
        return;
    };
    let (job, run_id) = batch_store(tmp.path(), 1, base_port() + 3);
    let t = Instant::now();
    let o = smartredis(&["stop", "--dir", tmp.path().to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", text(&o));
    eprintln!("stop of a 3-shard store job: {:?}", t.elapsed());
    assert!(eventually(Duration::from_secs(10), || squeue(&[
        "-j", &job
    ])
    .is_empty()));
    assert!(eventually(Duration::from_secs(10), || store_processes(
        &run_id
    )
    .is_empty()));
}

#[test]
fn three_shards_across_three_nodes_and_an_outside_scancel() {
    let Some((_lock, tmp)) = prepare("sbatch, 3 nodes", 3, false) else {
        return;
    };
    let dir = tmp.path().to_str().unwrap();
    let (job, run_id) = batch_store(tmp.path(), 3, base_port() + 6);
    // Cancelled from outside: every shard is reported exited, in Slurm's words.
    sh(&["scancel", &job]);
    assert!(eventually(Duration::from_secs(20), || {
        let (code, st) = status(dir);
        code == Some(1) && st.matches("exited").count() == 3
    }));
    let (_, st) = status(dir);
    assert!(st.contains("CANCELLED") || st.contains("ended"), "{st}");
    assert!(tmp.path().join("smartredis-orchestrator.json").exists());
    let o = smartredis(&["stop", "--dir", dir], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(eventually(Duration::from_secs(10), || squeue(&[
        "-j", &job
    ])
    .is_empty()));
    assert!(eventually(Duration::from_secs(10), || store_processes(
        &run_id
    )
    .is_empty()));
}

#[test]
fn a_named_interface_and_a_step_that_fails_inside_an_allocation() {
    let args = ["-N1", "-n1", "-J", "sr-test-iface"];
    let Some((_lock, tmp, alloc)) = prepare_inside("interface, 1 node", 1, false, &args) else {
        return;
    };
    let dir = tmp.path().to_str().unwrap();
    let env = alloc.env();
    let port = (base_port() + 9).to_string();
    let start = |iface: &str| {
        smartredis(
            &[
                "start",
                "--launcher",
                "slurm",
                "--shards",
                "2",
                "--port",
                &port,
                "--interface",
                iface,
                "--timeout",
                "30",
                "--dir",
                dir,
            ],
            &env,
        )
    };
    // A step that fails (no such interface on its node): the shard, the wrapper's and Slurm's words.
    let o = start("nosuch0");
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("shard 0") && t.contains("nosuch0") && t.contains("srun: error"),
        "{t}"
    );
    assert!(!tmp.path().join("smartredis-orchestrator.json").exists());
    // A named interface, resolved on the node: `lo` gives 127.0.0.1, not the node's own address.
    let o = start("lo");
    assert!(o.status.success(), "{}", text(&o));
    let orc = Orchestrator::attach(tmp.path()).unwrap();
    let run_id = orc.run_id().to_string();
    assert!(
        orc.shards().iter().all(|s| s.host == "127.0.0.1"),
        "{:?}",
        orc.addresses()
    );
    put_get_through_c(tmp.path());
    let o = smartredis(&["stop", "--dir", dir], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(eventually(Duration::from_secs(10), || store_processes(
        &run_id
    )
    .is_empty()));
}

/// Holds the lock that keeps the test that takes a node down apart from the tests that use the nodes (shared),
/// across test processes too (`flock` on a file in the temporary directory).
struct SlurmLock(#[allow(dead_code)] std::fs::File);

fn slurm_lock(exclusive: bool) -> SlurmLock {
    use std::os::fd::AsRawFd;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(std::env::temp_dir().join("smartredis-slurm-tests.lock"))
        .expect("open the Slurm test lock");
    let op = if exclusive {
        libc::LOCK_EX
    } else {
        libc::LOCK_SH
    };
    // SAFETY: flock(2) on a descriptor this File owns; released when it is closed.
    let rc = unsafe { libc::flock(f.as_raw_fd(), op) };
    assert_eq!(rc, 0, "flock: {}", std::io::Error::last_os_error());
    SlurmLock(f)
}

/// Puts a node taken down back into service when dropped, and waits (bounded) until Slurm has it idle again.
struct NodeBack(String);

impl Drop for NodeBack {
    fn drop(&mut self) {
        let node = format!("nodename={}", self.0);
        // With ReturnToService=2 a registering node comes back by itself; `resume` then reports nothing to do.
        let _ = sh(&["scontrol", "update", &node, "state=resume"]);
        eventually(Duration::from_secs(30), || {
            let st =
                String::from_utf8_lossy(&sh(&["sinfo", "-h", "-n", &self.0, "-o", "%T"]).stdout)
                    .trim()
                    .to_string();
            st == "idle" || st == "mixed" || st == "allocated"
        });
    }
}

#[test]
fn a_node_that_goes_down_is_reported_with_its_shard_and_the_others_run_on() {
    // --no-kill: the allocation outlives a node that fails, as a simulation's own job may ask.
    let args = ["-N3", "-n3", "--no-kill", "-J", "sr-test-nodedown"];
    let Some((_lock, tmp, alloc)) = prepare_inside("node down, 3 nodes", 3, true, &args) else {
        return;
    };
    let dir = tmp.path().to_str().unwrap();
    let orc = start_inside(&alloc, "slurm", base_port() + 12, tmp.path());
    let run_id = orc.run_id().to_string();
    let victim = orc.shards()[1]
        .node
        .clone()
        .expect("the shard's node is recorded");
    assert_eq!(status(dir).0, Some(0));
    {
        let _back = NodeBack(victim.clone());
        let down = sh(&[
            "scontrol",
            "update",
            &format!("nodename={victim}"),
            "state=down",
            "reason=smartredis-test",
        ]);
        assert!(down.status.success(), "{}", text(&down));
        // The shard stops answering at once; it is reported exited, with Slurm's words on its node (the node's
        // state, or what the launch said), once Slurm has ended its step.
        let reported = |st: &str| {
            let line = st.lines().find(|l| l.contains("shard   1")).unwrap_or("");
            line.contains("exited")
                && line.contains(&victim)
                && (line.contains("Node failure") || line.contains("state down"))
        };
        assert!(
            eventually(Duration::from_secs(30), || reported(&status(dir).1)),
            "{}",
            status(dir).1
        );
    }
    let (code, st) = status(dir);
    assert_eq!(code, Some(1), "{st}");
    eprintln!("node down: {st}");
    assert_eq!(st.matches("  running  ").count(), 2, "{st}");
    let o = smartredis(&["stop", "--dir", dir], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(eventually(Duration::from_secs(10), || store_processes(
        &run_id
    )
    .is_empty()));
}
