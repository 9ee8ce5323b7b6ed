//! DAGs: AI.DAGEXECUTE / AI.DAGEXECUTE_RO / AI.DAGRUN / AI.DAGRUN_RO against a real redis-server with the module
//! and ONNX Runtime. Models are built in the test (testkit::onnx); every result is checked against the same
//! computation done here, and every error text byte for byte against RedisAI 1.2.7's.

mod common;

use std::time::Duration;

use common::{
    assert_close_within, blocked_clients, bwords, err, f32_bytes, get_f32, model_store, randf,
    server_with, set_f32, synced, wait_for, words, Linear, Raw, RedisServer, Rng,
};
use testkit::onnx;

const BOUND: Duration = Duration::from_secs(60);
const K: usize = 3;
const M: usize = 2;

fn store(c: &mut Raw, key: &str, device: &str, model: &[u8]) {
    assert_eq!(model_store(c, key, "ONNX", device, &[], model), "+OK\r\n");
}

/// The end of the RESP element starting at `i`.
fn element_end(b: &[u8], i: usize) -> usize {
    let nl = i + b[i..].iter().position(|&c| c == b'\n').unwrap();
    let n: i64 = std::str::from_utf8(&b[i + 1..nl - 1])
        .unwrap()
        .parse()
        .unwrap_or(0);
    match b[i] {
        b'$' if n >= 0 => nl + 1 + n as usize + 2,
        b'*' => (0..n.max(0)).fold(nl + 1, |at, _| element_end(b, at)),
        _ => nl + 1,
    }
}

/// One element of an array reply, as its exact wire bytes.
struct Elem(Vec<u8>);

impl Elem {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
    fn starts_with(&self, c: char) -> bool {
        self.0.first() == Some(&(c as u8))
    }
    fn contains(&self, s: &str) -> bool {
        self.text().contains(s)
    }
}

impl PartialEq<&str> for Elem {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl std::fmt::Debug for Elem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.text())
    }
}

/// The top-level elements of an array reply.
fn elements(b: &[u8]) -> Vec<Elem> {
    let text = String::from_utf8_lossy(b);
    assert_eq!(b[0], b'*', "not an array: {text}");
    let nl = b.iter().position(|&c| c == b'\n').unwrap();
    let n: usize = std::str::from_utf8(&b[1..nl - 1]).unwrap().parse().unwrap();
    let mut out = Vec::new();
    let mut at = nl + 1;
    for _ in 0..n {
        let end = element_end(b, at);
        out.push(Elem(b[at..end].to_vec()));
        at = end;
    }
    assert_eq!(at, b.len(), "trailing bytes in {text}");
    out
}

/// The floats of a bulk-string element (`TENSORGET ... BLOB`).
fn blob_f32(e: &Elem) -> Vec<f32> {
    let b = &e.0;
    assert_eq!(b[0], b'$', "not a bulk string: {e:?}");
    let nl = b.iter().position(|&c| c == b'\n').unwrap();
    b[nl + 1..b.len() - 2]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// Sends a command, returning the reply's exact bytes.
fn bcmd(c: &mut Raw, args: &[&str]) -> Vec<u8> {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    c.cmd_bytes(&args)
}

fn assert_close(got: &[f32], want: &[f32]) {
    assert_close_within(got, want, 1e-4);
}

fn values(v: &[f32]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn load_tensorset_models_tensorget_persist() {
    let s = server_with(&[]);
    let mut c = Raw::new(&s);
    // Two models chained through a DAG-local tensor: x [2,3] -> first (3->2) -> mid -> second (2->4) -> out.
    let (first, second) = (Linear::new(1, K, M), Linear::new(2, M, 4));
    store(&mut c, "first{t}", "CPU", &first.model);
    store(&mut c, "second{t}", "cpu", &second.model);
    let x = [1.0f32, -2.0, 0.5, 3.0, 0.25, -1.0];
    set_f32(&mut c, "x{t}", &[2, K], &x);
    let r = bcmd(
        &mut c,
        &[
            words("AI.DAGEXECUTE LOAD 1 x{t} PERSIST 1 out{t}"),
            words("|> AI.MODELEXECUTE first{t} INPUTS 1 x{t} OUTPUTS 1 mid"),
            words("|> AI.MODELEXECUTE second{t} INPUTS 1 mid OUTPUTS 1 out{t}"),
            words("|> AI.TENSORGET mid BLOB |> AI.TENSORGET out{t} META"),
        ]
        .concat(),
    );
    let e = elements(&r);
    assert_eq!(e.len(), 4, "{e:?}");
    assert_eq!(e[0], "+OK\r\n");
    assert_eq!(e[1], "+OK\r\n");
    let mid = first.apply(&x);
    assert_close(&blob_f32(&e[2]), &mid);
    assert_eq!(
        e[3],
        "*4\r\n$5\r\ndtype\r\n$5\r\nFLOAT\r\n$5\r\nshape\r\n*2\r\n:2\r\n:4\r\n"
    );
    // Only the PERSIST key reaches the keyspace.
    assert_close(&get_f32(&mut c, "out{t}"), &second.apply(&mid));
    assert_eq!(c.cmd(&["EXISTS", "mid"]), ":0\r\n");
    assert!(c
        .cmd(&["AI.INFO", "second{t}"])
        .contains("$5\r\ncalls\r\n:1\r\n"));

    // TENSORSET inside the DAG (VALUES and BLOB), a name written twice (the later version wins), ROUTING alone,
    // TENSORGET VALUES of a DAG tensor, PERSIST of a LOADed tensor.
    let blob = f32_bytes(&[0.5, 0.5, 0.5]);
    let args: Vec<&[u8]> = [
        bwords("AI.DAGEXECUTE ROUTING {t} |> AI.TENSORSET a FLOAT 1 3 VALUES 1 2 3"),
        bwords("|> AI.MODELEXECUTE first{t} INPUTS 1 a OUTPUTS 1 y"),
        bwords("|> AI.TENSORSET a FLOAT 1 3 BLOB"),
        vec![&blob[..]],
        bwords("|> AI.MODELEXECUTE first{t} INPUTS 1 a OUTPUTS 1 y2"),
        bwords("|> AI.TENSORGET y VALUES |> AI.TENSORGET y2 BLOB |> AI.TENSORGET a VALUES"),
    ]
    .concat();
    let e = elements(&c.cmd_bytes(&args));
    assert_eq!(e.len(), 7, "{e:?}");
    assert_eq!(&e[..4], ["+OK\r\n", "+OK\r\n", "+OK\r\n", "+OK\r\n"]);
    let y = first.apply(&[1.0, 2.0, 3.0]);
    // VALUES of FLOAT come as %.17g bulk strings: compare numerically.
    let got: Vec<f32> = e[4]
        .text()
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.starts_with('$') && !l.is_empty())
        .map(|l| l.parse().unwrap())
        .collect();
    assert_close(&got, &y);
    assert_close(&blob_f32(&e[5]), &first.apply(&[0.5, 0.5, 0.5]));
    assert_eq!(e[6], "*3\r\n$3\r\n0.5\r\n$3\r\n0.5\r\n$3\r\n0.5\r\n");
    assert_eq!(c.cmd(&["EXISTS", "a"]), ":0\r\n");

    // PERSIST of a loaded tensor writes it back under the new name; TENSORSET-only DAGs answer without a model.
    let r = bcmd(
        &mut c,
        &words(
            "AI.DAGEXECUTE LOAD 1 x{t} PERSIST 2 x{t} z{t} |> AI.TENSORSET z{t} INT8 2 VALUES -1 7",
        ),
    );
    assert_eq!(r, b"*1\r\n+OK\r\n");
    assert_close(&get_f32(&mut c, "x{t}"), &x);
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "z{t}", "VALUES"]),
        "*2\r\n:-1\r\n:7\r\n"
    );

    // Deprecated AI.DAGRUN: MODELRUN ops, no LOAD/PERSIST/ROUTING needed; _RO variants run models too.
    let xs = values(&[1.0, 2.0, 3.0]);
    let mut args = words("AI.DAGRUN |> AI.TENSORSET a FLOAT 1 3 VALUES");
    args.extend(xs.iter().map(String::as_str));
    args.extend(words(
        "|> AI.MODELRUN first{t} INPUTS a OUTPUTS b |> AI.TENSORGET b BLOB",
    ));
    let e = elements(&bcmd(&mut c, &args));
    assert_eq!(&e[..2], ["+OK\r\n", "+OK\r\n"]);
    assert_close(&blob_f32(&e[2]), &y);
    args[0] = "AI.DAGRUN_RO";
    let e = elements(&bcmd(&mut c, &args));
    assert_close(&blob_f32(&e[2]), &y);
    let r = bcmd(
        &mut c,
        &[
            words("AI.DAGEXECUTE_RO LOAD 1 x{t}"),
            words("|> AI.MODELEXECUTE first{t} INPUTS 1 x{t} OUTPUTS 1 y"),
            words("|> AI.TENSORGET y BLOB"),
        ]
        .concat(),
    );
    let e = elements(&r);
    assert_eq!(e[0], "+OK\r\n");
    assert_close(&blob_f32(&e[1]), &mid);
}

#[test]
fn errors_are_redisai_s() {
    let s = server_with(&[]);
    let mut c = Raw::new(&s);
    let lin = Linear::new(3, K, M);
    store(&mut c, "m", "CPU", &lin.model);
    set_f32(&mut c, "x", &[1, K], &[1.0, 2.0, 3.0]);
    assert_eq!(c.cmd(&["SET", "str", "v"]), "+OK\r\n");
    let cases: &[(&str, &str)] = &[
        ("AI.DAGEXECUTE LOAD 1 x |>", "ERR missing arguments for 'AI.DAGEXECUTE' command"),
        ("AI.DAGEXECUTE_RO LOAD 1 x", "ERR missing arguments for 'AI.DAGEXECUTE_RO' command"),
        ("AI.DAGRUN |>", "ERR wrong number of arguments for 'AI.DAGRUN' command"),
        ("AI.DAGRUN_RO x", "ERR wrong number of arguments for 'AI.DAGRUN_RO' command"),
        ("AI.DAGEXECUTE LOAD 1 x LOAD 1 x |> AI.TENSORGET x", "ERR Invalid DAG command. Unexpected argument:  LOAD"),
        ("AI.DAGEXECUTE LOAD 1 x BAD_ARG |> AI.TENSORGET x", "ERR Invalid DAG command. Unexpected argument:  BAD_ARG"),
        ("AI.DAGEXECUTE LOAD -1 x |> AI.TENSORGET x", "ERR invalid or negative value found in number of keys to LOAD"),
        ("AI.DAGEXECUTE LOAD 4 x x x", "ERR number of keys to LOAD into DAG does not match the number of given arguments"),
        ("AI.DAGEXECUTE LOAD 1 nokey |> AI.TENSORGET x", "ERR tensor key is empty or in a different shard"),
        ("AI.DAGEXECUTE LOAD 1 str |> AI.TENSORGET x", "WRONGTYPE Operation against a key holding the wrong kind of value"),
        ("AI.DAGEXECUTE PERSIST 2 a a |> AI.TENSORGET x", "ERR PERSIST keys must be unique"),
        ("AI.DAGEXECUTE PERSIST 0 a |> AI.TENSORGET x", "ERR invalid or negative value found in number of keys to PERSIST"),
        ("AI.DAGEXECUTE PERSIST 4 a b c", "ERR number of keys to PERSIST after DAG execution does not match the number of given arguments"),
        ("AI.DAGEXECUTE_RO PERSIST 1 a |> AI.TENSORGET a", "ERR PERSIST cannot be specified in a read-only DAG"),
        ("AI.DAGEXECUTE TIMEOUT 5 LOAD 1 x ROUTING", "ERR Missing ROUTING value"),
        ("AI.DAGEXECUTE ROUTING x LOAD 1 x TIMEOUT", "ERR No value provided for TIMEOUT"),
        ("AI.DAGEXECUTE ROUTING x TIMEOUT abc |> AI.TENSORGET x", "ERR Invalid value for TIMEOUT"),
        ("AI.DAGEXECUTE TIMEOUT 5 |> AI.TENSORGET x", "ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of ROUTING, LOAD, PERSIST keywords"),
        ("AI.DAGEXECUTE ROUTING x TIMEOUT 5 LOAD 1 x", "ERR DAG is empty"),
        ("AI.DAGRUN LOAD 1 x", "ERR DAG is empty"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.NOCOMMAND x", "Unsupported command within DAG"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.TENSORGET", "wrong number of arguments for 'AI.TENSORGET' command"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.TENSORGET x BLOB VALUES", "ERR both BLOB and VALUES specified"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.TENSORGET x NOPE", "ERR unsupported data format"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.TENSORSET a FLOAT", "wrong number of arguments for 'AI.TENSORSET' command"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.TENSORSET a FLOATX 1 VALUES 1", "ERR invalid data type"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.TENSORSET a FLOAT 2 VALUES 1", "ERR wrong number of values was given in 'AI.TENSORSET' command"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.MODELEXECUTE m INPUTS 1 x OUTPUTS 1 y TIMEOUT 5", "ERR TIMEOUT not allowed within a DAG command"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.MODELEXECUTE m INPUTS 1 x OUTPUTS", "ERR wrong number of arguments for 'AI.MODELEXECUTE' command"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.MODELEXECUTE nomodel INPUTS 1 x OUTPUTS 1 y", "ERR model key is empty"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.MODELEXECUTE x INPUTS 1 x OUTPUTS 1 y", "WRONGTYPE Operation against a key holding the wrong kind of value"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.MODELEXECUTE m INPUTS 2 x x OUTPUTS 1 y", "Number of keys given as INPUTS here does not match model definition"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.MODELRUN m INPUTS x OUTPUTS y", "Deprecated AI.MODELRUN cannot be used in AI.DAGEXECUTE command"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.SCRIPTRUN s f INPUTS x OUTPUTS y", "Deprecated AI.SCRIPTRUN cannot be used in AI.DAGEXECUTE command"),
        ("AI.DAGRUN LOAD 1 x |> AI.MODELEXECUTE m INPUTS 1 x OUTPUTS 1 y", "AI.MODELEXECUTE cannot be used in a deprecated AI.DAGRUN command"),
        ("AI.DAGRUN LOAD 1 x |> AI.SCRIPTEXECUTE s f INPUTS 1 x OUTPUTS 1 y", "AI.SCRIPTEXECUTE cannot be used in a deprecated AI.DAGRUN command"),
        ("AI.DAGRUN LOAD 1 x |> AI.MODELRUN m TIMEOUT 5 INPUTS x OUTPUTS y", "ERR TIMEOUT not allowed within a DAG command"),
        ("AI.DAGEXECUTE_RO LOAD 1 x |> AI.SCRIPTEXECUTE s f INPUTS 1 x OUTPUTS 1 y", "ERR AI.SCRIPTEXECUTE command cannot be specified in a read-only DAG"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.SCRIPTEXECUTE noscript f INPUTS 1 x OUTPUTS 1 y", "ERR script key is empty"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.SCRIPTEXECUTE m f INPUTS 1 x OUTPUTS 1 y", "WRONGTYPE Operation against a key holding the wrong kind of value"),
        ("AI.DAGEXECUTE LOAD 1 x |> AI.MODELEXECUTE m INPUTS 1 nothere OUTPUTS 1 y", "ERR INPUT key cannot be found in DAG"),
        ("AI.DAGEXECUTE ROUTING x |> AI.TENSORGET x", "ERR INPUT key cannot be found in DAG"),
        ("AI.DAGEXECUTE LOAD 1 x PERSIST 1 q |> AI.TENSORGET x", "ERR PERSIST key cannot be found in DAG"),
        // Ops are checked in order, names after all ops.
        ("AI.DAGEXECUTE ROUTING x |> AI.TENSORGET nothere |> AI.BAD", "Unsupported command within DAG"),
    ];
    for (command, want) in cases {
        let args: Vec<&str> = command.split(' ').collect();
        assert_eq!(c.cmd(&args), err(want), "{command}");
    }
    // Blocking commands are refused inside MULTI.
    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["AI.DAGEXECUTE", "LOAD", "1", "x", "|>", "AI.TENSORGET", "x"]),
        "+QUEUED\r\n"
    );
    assert_eq!(
        c.cmd(&["EXEC"]),
        format!(
            "*1\r\n{}",
            err("ERR Cannot run RedisAI command within a transaction or a LUA script")
        )
    );
    // The server is alive and nothing was written.
    assert_eq!(c.cmd(&["DBSIZE"]), ":3\r\n");
}

#[test]
fn a_failing_op_stops_the_dag_and_nothing_is_persisted() {
    let s = server_with(&[]);
    let mut c = Raw::new(&s);
    let lin = Linear::new(4, K, M);
    store(&mut c, "m", "CPU", &lin.model);
    // A [1, 4] input does not fit the model's [N, 3].
    set_f32(&mut c, "bad", &[1, 4], &[1.0, 2.0, 3.0, 4.0]);
    set_f32(&mut c, "x", &[1, K], &[1.0, 2.0, 3.0]);
    let r = bcmd(
        &mut c,
        &[
            words("AI.DAGEXECUTE LOAD 2 bad x PERSIST 1 y1"),
            words("|> AI.MODELEXECUTE m INPUTS 1 x OUTPUTS 1 y1"),
            words("|> AI.MODELEXECUTE m INPUTS 1 bad OUTPUTS 1 y2"),
            words("|> AI.MODELEXECUTE m INPUTS 1 x OUTPUTS 1 y3 |> AI.TENSORGET y1 BLOB"),
            words("|> AI.TENSORGET y3 BLOB"),
        ]
        .concat(),
    );
    let e = elements(&r);
    assert_eq!(e.len(), 5, "{e:?}");
    assert_eq!(e[0], "+OK\r\n");
    assert!(
        e[1].starts_with('-') && e[1].contains("dimensions"),
        "{:?}",
        e[1]
    );
    assert_eq!(e[2], "+NA\r\n");
    assert_close(&blob_f32(&e[3]), &lin.apply(&[1.0, 2.0, 3.0]));
    assert_eq!(e[4], "+NA\r\n");
    assert_eq!(c.cmd(&["EXISTS", "y1"]), ":0\r\n");
    let info = c.cmd(&["AI.INFO", "m"]);
    assert!(info.contains("$5\r\ncalls\r\n:2\r\n"), "{info}");
    assert!(info.contains("$6\r\nerrors\r\n:1\r\n"), "{info}");

    // A PERSIST key holding another type: the DAG's ops succeed, the persist appends WRONGTYPE.
    assert_eq!(c.cmd(&["SET", "taken", "v"]), "+OK\r\n");
    let r = bcmd(
        &mut c,
        &[
            words("AI.DAGEXECUTE LOAD 1 x PERSIST 1 taken"),
            words("|> AI.MODELEXECUTE m INPUTS 1 x OUTPUTS 1 taken"),
        ]
        .concat(),
    );
    assert_eq!(
        String::from_utf8_lossy(&r),
        "*2\r\n+OK\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(c.cmd(&["GET", "taken"]), "$1\r\nv\r\n");
}

#[test]
fn models_on_several_devices_and_concurrent_dags() {
    let s = server_with(&["THREADS_PER_QUEUE", "2"]);
    let mut c = Raw::new(&s);
    let (a, b) = (Linear::new(5, K, K), Linear::new(6, K, M));
    store(&mut c, "a", "CPU:1", &a.model);
    store(&mut c, "b", "CPU", &b.model);
    let port = s.port;
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let (a, b) = (Linear::new(5, K, K), Linear::new(6, K, M));
            std::thread::spawn(move || {
                let mut c = Raw::connect(port);
                let x = [i as f32, 1.0, -0.5 * i as f32];
                let key = format!("x{i}");
                let out = format!("out{i}");
                set_f32(&mut c, &key, &[1, K], &x);
                for _ in 0..10 {
                    // CPU:1 -> CPU -> CPU:1 -> CPU: the DAG moves between the two queues.
                    let r = c.cmd(&[
                        "AI.DAGEXECUTE",
                        "LOAD",
                        "1",
                        &key,
                        "PERSIST",
                        "1",
                        &out,
                        "|>",
                        "AI.MODELEXECUTE",
                        "a",
                        "INPUTS",
                        "1",
                        &key,
                        "OUTPUTS",
                        "1",
                        "h",
                        "|>",
                        "AI.MODELEXECUTE",
                        "b",
                        "INPUTS",
                        "1",
                        "h",
                        "OUTPUTS",
                        "1",
                        "o1",
                        "|>",
                        "AI.MODELEXECUTE",
                        "a",
                        "INPUTS",
                        "1",
                        "h",
                        "OUTPUTS",
                        "1",
                        "h2",
                        "|>",
                        "AI.MODELEXECUTE",
                        "b",
                        "INPUTS",
                        "1",
                        "h2",
                        "OUTPUTS",
                        "1",
                        &out,
                    ]);
                    assert_eq!(r, "*4\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n");
                }
                let want = b.apply(&a.apply(&a.apply(&x)));
                assert_close(&get_f32(&mut c, &out), &want);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let info = c.cmd(&["INFO", "MODULES"]);
    assert!(
        info.contains("ai_queue_CPU:1_bthread_n2_used_cpu_total:"),
        "{info}"
    );
    assert!(c.cmd(&["AI.INFO", "a"]).contains("$5\r\ncalls\r\n:120\r\n"));
    assert!(c.cmd(&["AI.INFO", "b"]).contains("$5\r\ncalls\r\n:120\r\n"));
    assert!(c.cmd(&["INFO", "clients"]).contains("blocked_clients:0"));
}

#[test]
fn timeout_and_cluster_keys() {
    let s = server_with(&["THREADS_PER_QUEUE", "1", "MODEL_EXECUTION_TIMEOUT", "1000"]);
    let mut c = Raw::new(&s);
    let n = 512usize;
    store(&mut c, "slow", "CPU", &onnx::matmul_chain(n as i64, 4000));
    let lin = Linear::new(7, K, M);
    store(&mut c, "fast", "CPU", &lin.model);
    let x: Vec<f32> = (0..n * n)
        .map(|i| ((i % 7) as f32) / (4.0 * n as f32))
        .collect();
    set_f32(&mut c, "big", &[n, n], &x);
    set_f32(&mut c, "x", &[1, K], &[1.0, 2.0, 3.0]);
    let port = s.port;
    let slow = std::thread::spawn(move || {
        let mut c = Raw::connect(port);
        bcmd(
            &mut c,
            &[
                words("AI.DAGEXECUTE LOAD 1 big"),
                words("|> AI.MODELEXECUTE slow INPUTS 1 big OUTPUTS 1 out"),
                words("|> AI.TENSORGET out META"),
            ]
            .concat(),
        )
    });
    // Once the slow DAG holds the only worker, a DAG with a 1 ms TIMEOUT waits longer than that.
    assert!(wait_for(BOUND, || c
        .cmd(&["INFO", "clients"])
        .contains("blocked_clients:1\r\n")));
    assert_eq!(
        c.cmd(
            &[
                words("AI.DAGEXECUTE LOAD 1 x PERSIST 1 y TIMEOUT 1"),
                words("|> AI.MODELEXECUTE fast INPUTS 1 x OUTPUTS 1 y")
            ]
            .concat()
        ),
        "+TIMEDOUT\r\n"
    );
    assert_eq!(c.cmd(&["EXISTS", "y"]), ":0\r\n");
    // The slow run is stopped by MODEL_EXECUTION_TIMEOUT: an error element, then NA for the unrun TENSORGET.
    let r = slow.join().unwrap();
    let e = elements(&r);
    assert!(
        e[0].starts_with('-') && e[0].contains("terminate flag"),
        "{e:?}"
    );
    assert_eq!(e[1], "+NA\r\n");

    // Cluster routing: the LOAD/PERSIST/ROUTING keys and each model key, never op-local names.
    let keys = c.cmd(
        &[
            words("COMMAND GETKEYS AI.DAGEXECUTE LOAD 1 x{1} PERSIST 1 y{1} ROUTING r{1}"),
            words("|> AI.MODELEXECUTE m{1} INPUTS 1 x{1} OUTPUTS 1 local"),
            words("|> AI.TENSORGET local"),
        ]
        .concat(),
    );
    assert_eq!(
        keys,
        "*4\r\n$4\r\nx{1}\r\n$4\r\ny{1}\r\n$4\r\nr{1}\r\n$4\r\nm{1}\r\n"
    );
    let keys = c.cmd(&words(
        "COMMAND GETKEYS AI.DAGRUN_RO LOAD 1 x{1} |> AI.MODELRUN m{1} INPUTS x{1} OUTPUTS o",
    ));
    assert_eq!(keys, "*2\r\n$4\r\nx{1}\r\n$4\r\nm{1}\r\n");
}

#[test]
fn replicas_get_persisted_tensors() {
    let master = server_with(&[]);
    let mut m = Raw::new(&master);
    let lin = Linear::new(8, K, M);
    store(&mut m, "mdl", "CPU", &lin.model);
    let replica = RedisServer::options()
        .with_backends()
        .replica_of(&master)
        .start();
    let mut r = synced(&replica);
    let x = [0.5f32, -1.0, 2.0];
    set_f32(&mut m, "x", &[1, K], &x);
    let reply = m.cmd(
        &[
            words("AI.DAGEXECUTE LOAD 1 x PERSIST 2 y t"),
            words("|> AI.TENSORSET t INT32 2 VALUES 4 5"),
            words("|> AI.MODELEXECUTE mdl INPUTS 1 x OUTPUTS 1 y"),
        ]
        .concat(),
    );
    assert_eq!(reply, "*2\r\n+OK\r\n+OK\r\n");
    assert!(wait_for(BOUND, || r.cmd(&["EXISTS", "y", "t"]) == ":2\r\n"));
    assert_close(&get_f32(&mut r, "y"), &lin.apply(&x));
    assert_eq!(
        r.cmd(&["AI.TENSORGET", "t", "VALUES"]),
        "*2\r\n:4\r\n:5\r\n"
    );
    // The replica never ran the model.
    assert!(r.cmd(&["AI.INFO", "mdl"]).contains("$5\r\ncalls\r\n:0\r\n"));
}

#[test]
fn model_scan_lists_stored_models_and_persisted_outputs_reload() {
    let s = server_with(&[]);
    let mut c = Raw::new(&s);
    let lin = Linear::new(9, K, M);
    assert_eq!(c.cmd(&["AI._MODELSCAN"]), "*0\r\n");
    store(&mut c, "m2", "CPU", &lin.model);
    let r = model_store(&mut c, "m1", "ONNX", "CPU", &words("TAG v1"), &lin.model);
    assert_eq!(r, "+OK\r\n");
    let both = "*2\r\n*2\r\n$2\r\nm1\r\n$2\r\nv1\r\n*2\r\n$2\r\nm2\r\n$0\r\n\r\n";
    assert_eq!(c.cmd(&["AI._MODELSCAN"]), both);
    assert_eq!(c.cmd(&["AI._SCRIPTSCAN"]), "*0\r\n");
    assert_eq!(
        c.cmd(&["AI._MODELSCAN", "x"]),
        err("ERR wrong number of arguments for 'ai._modelscan' command")
    );
    // A DAG's persisted output and the models survive an RDB reload; the registry follows the keyspace.
    set_f32(&mut c, "x", &[1, K], &[1.0, 2.0, 3.0]);
    let r = c.cmd(&words(
        "AI.DAGEXECUTE LOAD 1 x PERSIST 1 y |> AI.MODELEXECUTE m1 INPUTS 1 x OUTPUTS 1 y",
    ));
    assert_eq!(r, "*1\r\n+OK\r\n");
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(c.cmd(&["AI._MODELSCAN"]), both);
    assert_close(&get_f32(&mut c, "y"), &lin.apply(&[1.0, 2.0, 3.0]));
    assert_eq!(c.cmd(&["AI.MODELDEL", "m2"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["AI._MODELSCAN"]),
        "*1\r\n*2\r\n$2\r\nm1\r\n$2\r\nv1\r\n"
    );
}

#[test]
fn a_dag_model_op_is_batched_with_other_runs_of_its_model() {
    let s = server_with(&["THREADS_PER_QUEUE", "1"]);
    let mut c = Raw::new(&s);
    let lin = Linear::new(21, K, M);
    // MINBATCHSIZE 3: a DAG's run of 1 row and a MODELEXECUTE of 1 row wait together until a second DAG brings the
    // total to 3; one model run then serves all three, each getting its own rows back. (MINBATCHTIMEOUT only bounds
    // the test should the batch never form.)
    let opts = words("BATCHSIZE 4 MINBATCHSIZE 3 MINBATCHTIMEOUT 30000");
    assert_eq!(
        model_store(&mut c, "m", "ONNX", "CPU", &opts, &lin.model),
        "+OK\r\n"
    );
    let mut rng = Rng(22);
    let xs: Vec<Vec<f32>> = (0..3).map(|_| randf(&mut rng, K)).collect();
    let port = s.port;
    let dag = |x: Vec<f32>| {
        std::thread::spawn(move || {
            let mut c = Raw::connect(port);
            let v = values(&x);
            let mut a = words("AI.DAGEXECUTE ROUTING m |> AI.TENSORSET x FLOAT 1 3 VALUES");
            a.extend(v.iter().map(String::as_str));
            a.extend(words(
                "|> AI.MODELEXECUTE m INPUTS 1 x OUTPUTS 1 y |> AI.TENSORGET y BLOB",
            ));
            bcmd(&mut c, &a)
        })
    };
    let d1 = dag(xs[0].clone());
    assert!(wait_for(BOUND, || blocked_clients(&mut c) == 1));
    let x1 = xs[1].clone();
    let run = std::thread::spawn(move || {
        let mut c = Raw::connect(port);
        set_f32(&mut c, "x1", &[1, K], &x1);
        let r = c.cmd(&words("AI.MODELEXECUTE m INPUTS 1 x1 OUTPUTS 1 y1"));
        (r, get_f32(&mut c, "y1"))
    });
    assert!(
        wait_for(BOUND, || blocked_clients(&mut c) == 2),
        "the DAG's run did not wait for the batch"
    );
    // Both wait in the batch: the model has not run yet.
    assert!(c.cmd(&["AI.INFO", "m"]).contains("$5\r\ncalls\r\n:0\r\n"));
    let d2 = dag(xs[2].clone());
    for (h, x) in [d1, d2].into_iter().zip([&xs[0], &xs[2]]) {
        let e = elements(&h.join().unwrap());
        assert_eq!(e.len(), 3);
        assert_eq!(e[1].text(), "+OK\r\n");
        assert_close(&blob_f32(&e[2]), &lin.apply(x));
    }
    let (r, y1) = run.join().unwrap();
    assert_eq!(r, "+OK\r\n");
    assert_close(&y1, &lin.apply(&xs[1]));
    // Three runs of one row each, served together.
    let info = c.cmd(&["AI.INFO", "m"]);
    assert!(
        info.ends_with("$7\r\nsamples\r\n:3\r\n$5\r\ncalls\r\n:3\r\n$6\r\nerrors\r\n:0\r\n"),
        "{info}"
    );
    assert_eq!(blocked_clients(&mut c), 0);
}
