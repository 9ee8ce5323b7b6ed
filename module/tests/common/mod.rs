//! Helpers shared by the module's integration tests: a raw RESP connection that returns each reply's exact
//! wire bytes, so reply types (bulk vs simple string, RESP2 vs RESP3 doubles) and error texts are asserted
//! byte for byte.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

pub use testkit::RedisServer;

/// A raw RESP connection.
pub struct Raw {
    r: BufReader<TcpStream>,
}

impl Raw {
    /// A RESP2 connection to `server`.
    pub fn new(server: &RedisServer) -> Raw {
        Raw::connect(server.port)
    }

    /// A RESP2 connection to a port.
    pub fn connect(port: u16) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        Raw {
            r: BufReader::new(s),
        }
    }

    /// A RESP3 connection (`HELLO 3` sent and its reply read).
    pub fn resp3(server: &RedisServer) -> Raw {
        let mut c = Raw::new(server);
        c.cmd(&["HELLO", "3"]);
        c
    }

    /// Sends a command and returns the reply's exact bytes.
    pub fn cmd(&mut self, args: &[&str]) -> String {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        String::from_utf8_lossy(&self.cmd_bytes(&args)).into_owned()
    }

    /// Sends a binary command and returns the reply's exact bytes.
    pub fn cmd_bytes(&mut self, args: &[&[u8]]) -> Vec<u8> {
        let mut req = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a);
            req.extend_from_slice(b"\r\n");
        }
        self.r.get_mut().write_all(&req).expect("write");
        let mut out = Vec::new();
        read_reply(&mut self.r, &mut out);
        out
    }
}

fn read_reply(r: &mut impl BufRead, out: &mut Vec<u8>) {
    let mut first = [0u8; 1];
    r.read_exact(&mut first).expect("read reply type");
    out.push(first[0]);
    let mut rest = Vec::new();
    r.read_until(b'\n', &mut rest).expect("read");
    assert!(rest.ends_with(b"\r\n"), "bad reply line: {rest:?}");
    out.extend_from_slice(&rest);
    let n: i64 = String::from_utf8_lossy(&rest[..rest.len() - 2])
        .parse()
        .unwrap_or(0);
    match first[0] {
        b'$' | b'=' | b'!' if n >= 0 => {
            let mut buf = vec![0u8; n as usize + 2];
            r.read_exact(&mut buf).expect("read bulk");
            out.extend_from_slice(&buf);
        }
        b'*' | b'~' | b'>' => {
            for _ in 0..n.max(0) {
                read_reply(r, out);
            }
        }
        b'%' | b'|' => {
            for _ in 0..2 * n.max(0) {
                read_reply(r, out);
            }
        }
        _ => {}
    }
}

/// `$<len>\r\n<s>\r\n`.
pub fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

/// An error reply line.
pub fn err(s: &str) -> String {
    format!("-{s}\r\n")
}

/// Polls `f` every 10 ms until it returns true or `bound` passes.
pub fn wait_for(bound: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Small deterministic PRNG (xorshift64*), for fuzzing and test data.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Sends one command; its reply as (lossy) text.
pub fn cmd(c: &mut Raw, args: &[&[u8]]) -> String {
    String::from_utf8_lossy(&c.cmd_bytes(args)).into_owned()
}

/// Little-endian bytes of `v`.
pub fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// `AI.TENSORSET key dtype dims… BLOB blob`, asserting `+OK`.
pub fn set_tensor<D: std::fmt::Display>(
    c: &mut Raw,
    key: &str,
    dtype: &str,
    dims: &[D],
    blob: &[u8],
) {
    let dims: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    let mut args: Vec<&[u8]> = vec![b"AI.TENSORSET", key.as_bytes(), dtype.as_bytes()];
    args.extend(dims.iter().map(|d| d.as_bytes()));
    args.push(b"BLOB");
    args.push(blob);
    assert_eq!(cmd(c, &args), "+OK\r\n");
}

/// `AI.TENSORSET key FLOAT dims… BLOB data`, asserting `+OK`.
pub fn set_f32<D: std::fmt::Display>(c: &mut Raw, key: &str, dims: &[D], data: &[f32]) {
    set_tensor(c, key, "FLOAT", dims, &f32_bytes(data));
}

/// The payload of a bulk-string reply.
pub fn bulk_payload(reply: &[u8]) -> Vec<u8> {
    assert_eq!(
        reply[0],
        b'$',
        "not a bulk string: {}",
        String::from_utf8_lossy(reply)
    );
    let nl = reply.iter().position(|&b| b == b'\n').unwrap();
    let n: usize = std::str::from_utf8(&reply[1..nl - 1])
        .unwrap()
        .parse()
        .unwrap();
    reply[nl + 1..nl + 1 + n].to_vec()
}

/// `AI.TENSORGET key BLOB`: the tensor's bytes.
pub fn get_blob(c: &mut Raw, key: &str) -> Vec<u8> {
    bulk_payload(&c.cmd_bytes(&[b"AI.TENSORGET", key.as_bytes(), b"BLOB"]))
}

/// `AI.TENSORGET key BLOB` as floats.
pub fn get_f32(c: &mut Raw, key: &str) -> Vec<f32> {
    get_blob(c, key)
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

/// The value of `field` in `INFO section`, if present.
pub fn info_field(c: &mut Raw, section: &str, field: &str) -> Option<String> {
    c.cmd(&["INFO", section])
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.trim().to_string())
}

/// Asserts `got` matches `want` element-wise within a relative tolerance `tol`.
pub fn assert_close_within(got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "element {i}: got {g}, want {w}"
        );
    }
}

/// [`assert_close_within`] at 1e-5.
pub fn assert_close(got: &[f32], want: &[f32]) {
    assert_close_within(got, want, 1e-5);
}

/// The words of `s` (split at white space): a command's arguments written as one line, e.g.
/// `c.cmd(&words("AI.MODELEXECUTE m INPUTS 1 x OUTPUTS 1 y"))`.
pub fn words(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

/// `<repo>/build/backends` as a `BACKENDSPATH` argument.
pub fn backends_path() -> String {
    testkit::backends_path().display().to_string()
}

/// A server with the module, `BACKENDSPATH` set to [`backends_path`] and the further module arguments `args`.
pub fn server_with(args: &[&str]) -> RedisServer {
    RedisServer::options()
        .with_backends()
        .module_args(args.iter().copied())
        .start()
}

/// `AI.MODELSTORE key backend device opts… BLOB blob`; the reply.
pub fn model_store(
    c: &mut Raw,
    key: &str,
    backend: &str,
    device: &str,
    opts: &[&str],
    blob: &[u8],
) -> String {
    let mut args: Vec<&[u8]> = vec![
        b"AI.MODELSTORE",
        key.as_bytes(),
        backend.as_bytes(),
        device.as_bytes(),
    ];
    args.extend(opts.iter().map(|o| o.as_bytes()));
    args.extend([b"BLOB".as_slice(), blob]);
    cmd(c, &args)
}

/// How many clients the server has blocked (`INFO clients`), e.g. runs waiting for a batch to fill.
pub fn blocked_clients(c: &mut Raw) -> usize {
    info_field(c, "clients", "blocked_clients")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A connection to `replica` once its link to the master is up (bounded wait: 60 s).
pub fn synced(replica: &RedisServer) -> Raw {
    let mut r = Raw::new(replica);
    let up =
        |r: &mut Raw| info_field(r, "replication", "master_link_status").as_deref() == Some("up");
    assert!(
        wait_for(Duration::from_secs(60), || up(&mut r)),
        "the replica did not sync"
    );
    r
}

/// `redis-server` arguments for an AOF without an RDB preamble (the rewrite writes commands).
pub const AOF: [&str; 4] = ["--appendonly", "yes", "--aof-use-rdb-preamble", "no"];

/// Rewrites the AOF of the server in `dir` (`BGREWRITEAOF`, with bounded waits until no rewrite is in progress or
/// scheduled, before and after), checks that it succeeded, and returns the rewritten base file's bytes.
pub fn rewrite_aof(c: &mut Raw, dir: &std::path::Path) -> Vec<u8> {
    let bound = Duration::from_secs(60);
    let idle = |c: &mut Raw| {
        info_field(c, "persistence", "aof_rewrite_in_progress").as_deref() == Some("0")
            && info_field(c, "persistence", "aof_rewrite_scheduled").as_deref() == Some("0")
    };
    assert!(wait_for(bound, || idle(c)), "a rewrite was in progress");
    assert_eq!(
        c.cmd(&["BGREWRITEAOF"]),
        "+Background append only file rewriting started\r\n"
    );
    assert!(wait_for(bound, || idle(c)), "the rewrite did not finish");
    assert_eq!(
        info_field(c, "persistence", "aof_last_bgrewrite_status").as_deref(),
        Some("ok")
    );
    std::fs::read_dir(dir.join("appendonlydir"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".base.aof"))
        .flat_map(|p| std::fs::read(p).unwrap())
        .collect()
}

/// `AI.MODELEXECUTE key INPUTS n ins… OUTPUTS m outs…`; the reply.
pub fn execute(c: &mut Raw, key: &str, ins: &[&str], outs: &[&str]) -> String {
    let (ni, no) = (ins.len().to_string(), outs.len().to_string());
    let mut args = vec!["AI.MODELEXECUTE", key, "INPUTS", &ni];
    args.extend(ins);
    args.push("OUTPUTS");
    args.push(&no);
    args.extend(outs);
    c.cmd(&args)
}

/// `n` floats in [-2, 2].
pub fn randf(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| (rng.below(2001) as f32 - 1000.0) / 500.0)
        .collect()
}

/// `x [n,k] · w [k,m] + b [m]`.
pub fn affine(x: &[f32], w: &[f32], b: &[f32], n: usize, k: usize, m: usize) -> Vec<f32> {
    let mut y = vec![0f32; n * m];
    for i in 0..n {
        for j in 0..m {
            y[i * m + j] = b[j] + (0..k).map(|l| x[i * k + l] * w[l * m + j]).sum::<f32>();
        }
    }
    y
}

/// A random ONNX linear model `x [N,k] · w + b` ([`testkit::onnx::linear`]) with its weights.
pub struct Linear {
    /// The ONNX model.
    pub model: Vec<u8>,
    /// The weights, `[k, m]`.
    pub w: Vec<f32>,
    /// The bias, `[m]`.
    pub b: Vec<f32>,
    k: usize,
    m: usize,
}

impl Linear {
    /// Weights and bias drawn from `Rng(seed)`.
    pub fn new(seed: u64, k: usize, m: usize) -> Linear {
        let mut rng = Rng(seed);
        let (w, b) = (randf(&mut rng, k * m), randf(&mut rng, m));
        Linear {
            model: testkit::onnx::linear(&w, &b, k as i64, m as i64),
            w,
            b,
            k,
            m,
        }
    }

    /// The model's output for the rows of `x`.
    pub fn apply(&self, x: &[f32]) -> Vec<f32> {
        affine(x, &self.w, &self.b, x.len() / self.k, self.k, self.m)
    }
}

/// [`words`] as byte strings, for commands with binary arguments: e.g.
/// `[bwords("AI.TENSORSET t FLOAT 2 BLOB"), vec![&blob[..]]].concat()`.
pub fn bwords(s: &str) -> Vec<&[u8]> {
    s.split_whitespace().map(str::as_bytes).collect()
}
