//! Model benchmark (`make bench-models`): `AI.MODELEXECUTE` of a small ONNX MLP (784→128→10, batch 1) through
//! the module against the same model run directly through ONNX Runtime's C API in this process, same library,
//! same settings (basic graph optimisation, one intra-op thread). Latency per call (median and mean), and
//! throughput with 8 concurrent clients against 8 direct threads sharing one session.
//!
//! Direct calls create the input value, run, and copy the output out, as the module's worker does; the server
//! figures add the request, the queue hand-off, the hand-back to the main thread and the output write. Two servers
//! are measured in the same run, interleaved: the default one, whose main thread may wait briefly inside the
//! command for a fast run of a client calling in sequence, and one started with `SMARTREDIS_AI_WAIT_US=0`, which
//! always blocks the client and is unblocked by the worker (RedisAI's way).

#[path = "../src/backends/ort_api.rs"]
#[allow(dead_code)]
mod ort_api;

use std::ffi::CString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use testkit::onnx;

use ort_api::*;
use testkit::RedisServer;

const K: usize = 784;
const H: usize = 128;
const M: usize = 10;
const CLIENTS: usize = 8;

fn lib_path() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../build/backends/redisai_onnxruntime/libonnxruntime.so");
    assert!(p.exists(), "run scripts/fetch-backends.sh first");
    p.canonicalize().unwrap().display().to_string()
}

struct Direct {
    api: Api,
    session: *mut OrtSession,
    cpu: *mut OrtMemoryInfo,
}
unsafe impl Send for Direct {}
unsafe impl Sync for Direct {}

fn ok(api: &Api, st: *mut OrtStatus) {
    if !st.is_null() {
        let m = unsafe { std::ffi::CStr::from_ptr((api.GetErrorMessage)(st)) };
        panic!("ONNX Runtime: {}", m.to_string_lossy());
    }
}

impl Direct {
    fn new(model: &[u8]) -> Direct {
        let path = CString::new(lib_path()).unwrap();
        unsafe {
            let h = libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
            assert!(!h.is_null());
            let sym = libc::dlsym(h, c"OrtGetApiBase".as_ptr());
            let get: unsafe extern "C" fn() -> *const OrtApiBase = std::mem::transmute(sym);
            let api = Api::from_table(((*get()).get_api)(API_VERSION)).unwrap();
            let mut env = std::ptr::null_mut();
            ok(
                &api,
                (api.CreateEnv)(LOGGING_LEVEL_ERROR, c"bench".as_ptr(), &mut env),
            );
            let mut so = std::ptr::null_mut();
            ok(&api, (api.CreateSessionOptions)(&mut so));
            ok(
                &api,
                (api.SetSessionGraphOptimizationLevel)(so, ENABLE_BASIC),
            );
            ok(&api, (api.SetIntraOpNumThreads)(so, 1));
            let mut session = std::ptr::null_mut();
            ok(
                &api,
                (api.CreateSessionFromArray)(
                    env,
                    model.as_ptr().cast(),
                    model.len(),
                    so,
                    &mut session,
                ),
            );
            let mut cpu = std::ptr::null_mut();
            ok(
                &api,
                (api.CreateCpuMemoryInfo)(ARENA_ALLOCATOR, MEM_TYPE_DEFAULT, &mut cpu),
            );
            Direct { api, session, cpu }
        }
    }

    /// One run: input value over `x`, Run, output copied out.
    fn run(&self, x: &[f32]) -> Vec<u8> {
        let a = &self.api;
        let shape = [1i64, K as i64];
        unsafe {
            let mut v = std::ptr::null_mut();
            ok(
                a,
                (a.CreateTensorWithDataAsOrtValue)(
                    self.cpu,
                    x.as_ptr() as *mut _,
                    x.len() * 4,
                    shape.as_ptr(),
                    2,
                    1,
                    &mut v,
                ),
            );
            let (inn, outn) = (c"input", c"output");
            let mut out = std::ptr::null_mut();
            ok(
                a,
                (a.Run)(
                    self.session,
                    std::ptr::null(),
                    &inn.as_ptr(),
                    &(v as *const OrtValue),
                    1,
                    &outn.as_ptr(),
                    1,
                    &mut out,
                ),
            );
            let mut p = std::ptr::null_mut();
            ok(a, (a.GetTensorMutableData)(out, &mut p));
            let bytes = std::slice::from_raw_parts(p.cast::<u8>(), M * 4).to_vec();
            (a.ReleaseValue)(out);
            (a.ReleaseValue)(v);
            bytes
        }
    }
}

struct Client(BufReader<TcpStream>);

impl Client {
    fn call(&mut self, args: &[&[u8]]) -> Vec<u8> {
        let mut req = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a);
            req.extend_from_slice(b"\r\n");
        }
        self.0.get_mut().write_all(&req).unwrap();
        let mut line = Vec::new();
        self.0.read_until(b'\n', &mut line).unwrap();
        match line[0] {
            b'+' => line,
            b'$' => {
                let n: usize = std::str::from_utf8(&line[1..line.len() - 2])
                    .unwrap()
                    .parse()
                    .unwrap();
                let mut buf = vec![0; n + 2];
                self.0.read_exact(&mut buf).unwrap();
                buf.truncate(n);
                buf
            }
            _ => panic!("{}", String::from_utf8_lossy(&line)),
        }
    }
}

fn stats(mut t: Vec<Duration>) -> (f64, f64) {
    t.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let mean = t.iter().map(|&d| us(d)).sum::<f64>() / t.len() as f64;
    (us(t[t.len() / 2]), mean)
}

fn time(n: usize, mut f: impl FnMut()) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect()
}

fn main() {
    let mut seed = 1u64;
    let mut rnd = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((seed >> 33) as f32 / (1u64 << 31) as f32) - 0.5
            })
            .collect()
    };
    let (w1, b1, w2, b2) = (rnd(K * H), rnd(H), rnd(H * M), rnd(M));
    let model = onnx::mlp(&w1, &b1, &w2, &b2, K as i64, H as i64, M as i64);
    let x = rnd(K);
    let xb: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
    let iters = 3000;

    let direct = Arc::new(Direct::new(&model));
    let want = direct.run(&x);
    time(300, || {
        direct.run(&x);
    });
    let d = stats(time(iters, || {
        direct.run(&x);
    }));

    let backends = Path::new(&lib_path())
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .display()
        .to_string();
    // Two servers in the same run: the default (the main thread may wait briefly for a fast run instead of
    // blocking the client) and `SMARTREDIS_AI_WAIT_US=0` (every run blocks its client, as RedisAI does). Their
    // measurements are interleaved in blocks, so both see the same machine load.
    let start = || {
        RedisServer::options()
            .with_module()
            .module_args([
                "BACKENDSPATH",
                &backends,
                "THREADS_PER_QUEUE",
                &CLIENTS.to_string(),
                "INTRA_OP_PARALLELISM",
                "1",
            ])
            .start()
    };
    let server = start();
    std::env::set_var("SMARTREDIS_AI_WAIT_US", "0");
    let blocking = start();
    std::env::remove_var("SMARTREDIS_AI_WAIT_US");
    let ports = [server.port, blocking.port];
    let connect = |port: u16| {
        Client(BufReader::new(
            TcpStream::connect(("127.0.0.1", port)).unwrap(),
        ))
    };
    let set_x: Vec<&[u8]> = vec![b"AI.TENSORSET", b"x", b"FLOAT", b"1", b"784", b"BLOB", &xb];
    let exec: [&[u8]; 8] = [
        b"AI.MODELEXECUTE",
        b"mlp",
        b"INPUTS",
        b"1",
        b"x",
        b"OUTPUTS",
        b"1",
        b"y",
    ];
    let mut cs: Vec<Client> = ports.iter().map(|&p| connect(p)).collect();
    for c in cs.iter_mut() {
        c.call(&[b"AI.MODELSTORE", b"mlp", b"ONNX", b"CPU", b"BLOB", &model]);
        c.call(&set_x);
        assert_eq!(c.call(&exec), b"+OK\r\n");
        assert_eq!(
            c.call(&[b"AI.TENSORGET", b"y", b"BLOB"]),
            want,
            "server and direct results differ"
        );
        time(300, || {
            c.call(&exec);
        });
    }
    // Per server: MODELEXECUTE, PING, TENSORSET + MODELEXECUTE + TENSORGET, interleaved in blocks of 100 calls.
    let mut samples: Vec<[Vec<Duration>; 3]> = vec![Default::default(), Default::default()];
    for _ in 0..iters / 100 {
        for (c, s) in cs.iter_mut().zip(samples.iter_mut()) {
            s[0].extend(time(100, || {
                c.call(&exec);
            }));
            s[1].extend(time(100, || {
                c.call(&[b"PING"]);
            }));
            s[2].extend(time(100, || {
                c.call(&set_x);
                c.call(&exec);
                c.call(&[b"AI.TENSORGET", b"y", b"BLOB"]);
            }));
        }
    }
    let [mut a, mut b] = [samples.remove(0), samples.remove(0)];
    let e = stats(std::mem::take(&mut a[0]));
    let ping = stats(std::mem::take(&mut a[1]));
    let full = stats(std::mem::take(&mut a[2]));
    let eb = stats(std::mem::take(&mut b[0]));
    let pingb = stats(std::mem::take(&mut b[1]));
    let fullb = stats(std::mem::take(&mut b[2]));

    // Throughput: 8 clients (own keys) vs 8 threads on one session, for a fixed time each.
    let window = Duration::from_secs(3);
    let run_threads = |f: Arc<dyn Fn(usize) + Send + Sync>| -> f64 {
        let hs: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let f = f.clone();
                std::thread::spawn(move || {
                    let start = Instant::now();
                    let mut n = 0u64;
                    while start.elapsed() < window {
                        f(i);
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>() as f64 / window.as_secs_f64()
    };
    let dd = direct.clone();
    let xx = x.clone();
    let direct_fn: Arc<dyn Fn(usize) + Send + Sync> = Arc::new(move |_| {
        dd.run(&xx);
    });
    let server_fn = |port: u16| -> Arc<dyn Fn(usize) + Send + Sync> {
        let conns: Vec<std::sync::Mutex<Client>> = (0..CLIENTS)
            .map(|i| {
                let mut c = connect(port);
                c.call(&[
                    b"AI.TENSORSET",
                    format!("x{i}").as_bytes(),
                    b"FLOAT",
                    b"1",
                    K.to_string().as_bytes(),
                    b"BLOB",
                    &xb,
                ]);
                std::sync::Mutex::new(c)
            })
            .collect();
        let conns = Arc::new(conns);
        Arc::new(move |i| {
            let (xi, yi) = (format!("x{i}"), format!("y{i}"));
            conns[i].lock().unwrap().call(&[
                b"AI.MODELEXECUTE",
                b"mlp",
                b"INPUTS",
                b"1",
                xi.as_bytes(),
                b"OUTPUTS",
                b"1",
                yi.as_bytes(),
            ]);
        })
    };
    let (fa, fb) = (server_fn(ports[0]), server_fn(ports[1]));
    // direct, A, B, direct, A, B: each figure is the mean of its two windows.
    let mut tp = [0f64; 3];
    for _ in 0..2 {
        tp[0] += run_threads(direct_fn.clone()) / 2.0;
        tp[1] += run_threads(fa.clone()) / 2.0;
        tp[2] += run_threads(fb.clone()) / 2.0;
    }
    let [direct_tp, server_tp, blocking_tp] = tp;

    println!("MLP {K}->{H}->{M}, batch 1, {iters} calls; one intra-op thread");
    println!("{:<52} {:>10} {:>10}", "", "median µs", "mean µs");
    let row = |name: &str, v: (f64, f64)| println!("{name:<52} {:>10.1} {:>10.1}", v.0, v.1);
    row("ONNX Runtime direct (C API)", d);
    row("PING (round trip alone)", ping);
    row("AI.MODELEXECUTE (inputs stored)", e);
    row("TENSORSET + MODELEXECUTE + TENSORGET", full);
    row("PING, SMARTREDIS_AI_WAIT_US=0 server", pingb);
    row("AI.MODELEXECUTE, SMARTREDIS_AI_WAIT_US=0", eb);
    row("TENSORSET + MODELEXECUTE + TENSORGET, WAIT_US=0", fullb);
    println!(
        "overhead of AI.MODELEXECUTE: {:.1} µs per call (median), {:.2}x; with WAIT_US=0: {:.1} µs, {:.2}x",
        e.0 - d.0,
        e.0 / d.0,
        eb.0 - d.0,
        eb.0 / d.0
    );
    println!(
        "throughput, {CLIENTS} concurrent: direct {direct_tp:.0}/s, AI.MODELEXECUTE {server_tp:.0}/s ({:.2}x), \
         with WAIT_US=0 {blocking_tp:.0}/s ({:.2}x)",
        server_tp / direct_tp,
        blocking_tp / direct_tp
    );
}
