//! Colocated mode: a store next to the test process on a Unix socket, pinned to a CPU, with `SSDB` set; preload
//! errors are reported and leave nothing running; the store stops on drop.

use std::time::{Duration, Instant};

use smartredis::orchestrator::PreloadModel;
use smartredis::orchestrator::{
    state::pid_is_alive, Colocated, ColocatedOptions, Error, OrchestratorOptions,
};

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

#[test]
fn unix_socket_pinned_with_env() {
    let tmp = tempfile::tempdir().unwrap();
    let mut colo = Colocated::start(
        ColocatedOptions::new()
            .options(OrchestratorOptions::new().dir(tmp.path()))
            .cpus([0])
            .db_identifier("colo_a"),
    )
    .expect("colocated start");
    let ssdb = colo.ssdb().to_string();
    assert!(ssdb.starts_with("unix://"), "{ssdb}");
    assert_eq!(std::env::var("SSDB_colo_a").unwrap(), ssdb);
    assert_eq!(std::env::var("SR_DB_TYPE_colo_a").unwrap(), "Standalone");
    let mut con = redis::Client::open(ssdb.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    assert_eq!(
        redis::cmd("PING").query::<String>(&mut con).unwrap(),
        "PONG"
    );
    // A client through the socket.
    let mut client = colo.client("colo").expect("client over the Unix socket");
    let data = [1.0f32, 2.0, 3.0];
    let t = smartredis::tensor::TensorRef::from_slice(&[3], &data).unwrap();
    client.put_tensor("colo_t", &t).expect("put_tensor");
    assert!(client.tensor_exists("colo_t").unwrap());
    drop(client);
    let pid = colo.orchestrator().pids()[0];
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let cpus = status
        .lines()
        .find(|l| l.starts_with("Cpus_allowed_list"))
        .unwrap();
    assert!(
        cpus.trim_end().ends_with("\t0") || cpus.trim_end().ends_with(" 0"),
        "{cpus}"
    );
    drop(colo);
    assert!(gone(pid));
}

#[test]
fn loopback_tcp() {
    let tmp = tempfile::tempdir().unwrap();
    let mut colo = Colocated::start(
        ColocatedOptions::new()
            .options(OrchestratorOptions::new().dir(tmp.path()).module(false))
            .tcp(true)
            .set_env(false),
    )
    .expect("colocated start");
    assert!(colo.ssdb().starts_with("127.0.0.1:"));
    assert_eq!(colo.env_vars()[0].0, "SSDB");
    let pid = colo.orchestrator().pids()[0];
    colo.stop().unwrap();
    assert!(gone(pid));
}

#[test]
fn preload_errors_are_reported_and_stop_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    // A missing file.
    let missing = PreloadModel {
        key: "m".into(),
        path: tmp.path().join("no-such-model.pt"),
        backend: "TORCH".into(),
        device: "CPU".into(),
        batch_size: 0,
        min_batch_size: 0,
        inputs: vec![],
        outputs: vec![],
    };
    let err = Colocated::start(
        ColocatedOptions::new()
            .options(OrchestratorOptions::new().dir(tmp.path()))
            .set_env(false)
            .model(missing),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Preload { key, .. } if key == "m"),
        "{err:?}"
    );
    // A script the store rejects (garbage source, or a module without AI.SCRIPTSET yet).
    let script = tmp.path().join("bad.txt");
    std::fs::write(&script, "this is not torchscript(").unwrap();
    let err = Colocated::start(
        ColocatedOptions::new()
            .options(OrchestratorOptions::new().dir(tmp.path()))
            .set_env(false)
            .script("s", &script, "CPU"),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Preload { key, .. } if key == "s"),
        "{err:?}"
    );
    assert!(!tmp
        .path()
        .join(smartredis::orchestrator::STATE_FILE)
        .exists());
}
