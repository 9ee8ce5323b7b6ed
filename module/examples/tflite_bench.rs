//! TFLITE benchmark (`make bench-tflite`, part of `make bench`): `AI.MODELEXECUTE` of the MNIST-sized CNN
//! (tests/data/mnist_cnn.tflite, batch 1) through the module against the same model run directly through LiteRT's
//! C API in this process: same library (build/backends/redisai_tflite/libLiteRt.so), same environment options,
//! same CPU compilation. Direct calls copy the input into a 64-byte aligned host buffer, run, and copy the output
//! out, as the module's worker does; the server figures add the request, the queue hand-off and the reply.

#[path = "../src/backends/litert_api.rs"]
#[allow(dead_code)]
mod litert_api;

use std::alloc::Layout;
use std::ffi::CString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use litert_api::*;
use testkit::RedisServer;

fn backends() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../build/backends");
    assert!(
        p.join("redisai_tflite/libLiteRt.so").exists(),
        "run scripts/fetch-litert.sh first"
    );
    p.canonicalize().unwrap().display().to_string()
}

fn ok(what: &str, st: Status) {
    assert_eq!(st, STATUS_OK, "{what}: {}", status_name(st));
}

/// 64-byte aligned bytes, never freed (the benchmark's buffers live as long as the process).
fn aligned(len: usize) -> &'static mut [u8] {
    let layout = Layout::from_size_align(len, HOST_MEMORY_ALIGNMENT).unwrap();
    unsafe { std::slice::from_raw_parts_mut(std::alloc::alloc_zeroed(layout), len) }
}

struct Direct {
    api: Api,
    compiled: *mut LiteRtCompiledModelT,
    input: &'static mut [u8],
    output: &'static mut [u8],
    bufs: [*mut LiteRtTensorBufferT; 2],
}

impl Direct {
    fn new(model: &[u8]) -> Direct {
        let path = CString::new(format!("{}/redisai_tflite/libLiteRt.so", backends())).unwrap();
        unsafe {
            let h = libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
            assert!(!h.is_null());
            let api = Api::load(h).unwrap();
            let opts = [
                LiteRtEnvOption {
                    tag: ENV_AUTO_REGISTER_ACCELERATORS,
                    value: LiteRtAny {
                        kind: ANY_TYPE_INT,
                        int_value: HW_ACCELERATOR_CPU.into(),
                    },
                },
                LiteRtEnvOption {
                    tag: ENV_MIN_LOGGER_SEVERITY,
                    value: LiteRtAny {
                        kind: ANY_TYPE_INT,
                        int_value: LOG_SEVERITY_ERROR,
                    },
                },
            ];
            let mut env = std::ptr::null_mut();
            ok("env", (api.CreateEnvironment)(2, opts.as_ptr(), &mut env));
            let bytes = aligned(model.len());
            bytes.copy_from_slice(model);
            let mut m = std::ptr::null_mut();
            ok(
                "model",
                (api.CreateModelFromBuffer)(env, bytes.as_ptr().cast(), bytes.len(), &mut m),
            );
            let mut o = std::ptr::null_mut();
            ok("options", (api.CreateOptions)(&mut o));
            ok(
                "cpu",
                (api.SetOptionsHardwareAccelerators)(o, HW_ACCELERATOR_CPU),
            );
            let mut compiled = std::ptr::null_mut();
            ok(
                "compile",
                (api.CreateCompiledModel)(env, m, o, &mut compiled),
            );
            (api.DestroyOptions)(o);
            let input = aligned(28 * 28 * 4);
            let output = aligned(10 * 4);
            let mut bufs = [std::ptr::null_mut(); 2];
            let io: [(*mut u8, usize, &[i32]); 2] = [
                (input.as_mut_ptr(), input.len(), &[1, 28, 28, 1]),
                (output.as_mut_ptr(), output.len(), &[1, 10]),
            ];
            for (i, (ptr, len, dims)) in io.into_iter().enumerate() {
                let ty = LiteRtRankedTensorType {
                    element_type: 1,
                    layout: LiteRtLayout::new(dims),
                };
                ok(
                    "buffer",
                    (api.CreateTensorBufferFromHostMemory)(
                        &ty,
                        ptr.cast(),
                        len,
                        None,
                        &mut bufs[i],
                    ),
                );
            }
            Direct {
                api,
                compiled,
                input,
                output,
                bufs,
            }
        }
    }

    /// One run: input copied in, run, output copied out.
    fn run(&mut self, x: &[u8]) -> Vec<u8> {
        self.input.copy_from_slice(x);
        unsafe {
            ok(
                "run",
                (self.api.RunCompiledModel)(
                    self.compiled,
                    0,
                    1,
                    &mut self.bufs[0],
                    1,
                    &mut self.bufs[1],
                ),
            );
        }
        self.output.to_vec()
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
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data");
    let model = std::fs::read(data.join("mnist_cnn.tflite")).unwrap();
    let x: Vec<u8> = (0..28 * 28)
        .flat_map(|i| ((i % 97) as f32 / 97.0).to_le_bytes())
        .collect();
    let iters = 3000;

    let mut direct = Direct::new(&model);
    let want = direct.run(&x);
    time(300, || {
        direct.run(&x);
    });
    let mut server_rounds = Vec::new();
    let mut direct_rounds = Vec::new();

    let server = RedisServer::options()
        .with_module()
        .module_args(["BACKENDSPATH", &backends()])
        .start();
    let mut c = Client(BufReader::new(
        TcpStream::connect(("127.0.0.1", server.port)).unwrap(),
    ));
    c.call(&[b"AI.MODELSTORE", b"cnn", b"TFLITE", b"CPU", b"BLOB", &model]);
    let set_x: [&[u8]; 9] = [
        b"AI.TENSORSET",
        b"x",
        b"FLOAT",
        b"1",
        b"28",
        b"28",
        b"1",
        b"BLOB",
        &x,
    ];
    c.call(&set_x);
    let exec: [&[u8]; 8] = [
        b"AI.MODELEXECUTE",
        b"cnn",
        b"INPUTS",
        b"1",
        b"x",
        b"OUTPUTS",
        b"1",
        b"y",
    ];
    assert_eq!(c.call(&exec), b"+OK\r\n");
    assert_eq!(
        c.call(&[b"AI.TENSORGET", b"y", b"BLOB"]),
        want,
        "server and direct results differ"
    );
    time(300, || {
        c.call(&exec);
    });
    // Direct, MODELEXECUTE, PING, TENSORSET + MODELEXECUTE + TENSORGET, interleaved in blocks of 100 calls.
    let mut ping = Vec::new();
    let mut full = Vec::new();
    for _ in 0..iters / 100 {
        direct_rounds.extend(time(100, || {
            direct.run(&x);
        }));
        server_rounds.extend(time(100, || {
            c.call(&exec);
        }));
        ping.extend(time(100, || {
            c.call(&[b"PING"]);
        }));
        full.extend(time(100, || {
            c.call(&set_x);
            c.call(&exec);
            c.call(&[b"AI.TENSORGET", b"y", b"BLOB"]);
        }));
    }
    let (d, e, p, f) = (
        stats(direct_rounds),
        stats(server_rounds),
        stats(ping),
        stats(full),
    );
    println!("TFLITE CNN 28x28x1 -> 10 (tests/data/mnist_cnn.tflite), batch 1, {iters} calls, LiteRT 2.3.0 CPU");
    println!("{:<52} {:>10} {:>10}", "", "median µs", "mean µs");
    let row = |name: &str, v: (f64, f64)| println!("{name:<52} {:>10.1} {:>10.1}", v.0, v.1);
    row("LiteRT direct (C API)", d);
    row("PING (round trip alone)", p);
    row("AI.MODELEXECUTE (inputs stored)", e);
    row("TENSORSET + MODELEXECUTE + TENSORGET", f);
    println!(
        "overhead of AI.MODELEXECUTE: {:.1} µs per call (median), {:.2}x; target <= 1.10x + 50 µs: {}",
        e.0 - d.0,
        e.0 / d.0,
        if e.0 <= 1.10 * d.0 + 50.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}
