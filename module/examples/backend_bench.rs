//! TF and TFLITE benchmark (`make bench-tf`, `make bench-tflite`; both in `make bench`): `AI.MODELEXECUTE` of an
//! MNIST-sized CNN at batch 1 through the module against the same model run directly through the backend's C
//! API in this process, same library, same settings. `backend_bench [tf] [tflite]` (both when none is named).
//! - TF: tests/data/tf/cnn.pb through TensorFlow's C API (one intra-op and one inter-op thread, no GPU).
//! - TFLITE: tests/data/mnist_cnn.tflite through LiteRT's C API (CPU, XNNPACK), 64-byte aligned host buffers.
//!
//! Direct calls copy the input in, run, and copy the output out, as the module's worker does; the server figures
//! add the request, the queue hand-off, the hand-back to the main thread and the reply. Direct calls, MODELEXECUTE,
//! PING and TENSORSET + MODELEXECUTE + TENSORGET are interleaved in blocks of 100 calls; medians and means of the
//! same run, with the load average before and after.

#[path = "../src/backends/litert_api.rs"]
#[allow(dead_code)]
mod litert_api;
#[path = "../src/backends/tf_api.rs"]
#[allow(dead_code)]
mod tf_api;

use std::alloc::Layout;
use std::ffi::{CStr, CString};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use testkit::expected::read;
use testkit::RedisServer;

/// `dlopen`s `build/backends/<lib>`, which `script` fetches.
fn open_backend(lib: &str, script: &str) -> *mut libc::c_void {
    let lib = testkit::backends_path().join(lib);
    let path = CString::new(lib.to_str().unwrap()).unwrap();
    // SAFETY: dlopen with a valid C string; the handle lives as long as the process.
    let h = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    assert!(!h.is_null(), "{} ({script})", lib.display());
    h
}

/// A model run directly through its backend's C API.
trait Direct {
    /// One run on the input bytes; the output bytes.
    fn run(&mut self, x: &[u8]) -> Vec<u8>;
}

/// The TF CNN in a TensorFlow session of its own.
struct TfDirect {
    api: tf_api::Api,
    session: *mut tf_api::TF_Session,
    input: tf_api::TF_Output,
    output: tf_api::TF_Output,
    status: *mut tf_api::TF_Status,
}

/// The session config the module uses with one intra-op and one inter-op thread: the bytes of
/// `tf::session_config(1, 1)` (pinned by its unit test `config_proto_bytes`; the module's crate cannot be linked
/// here, its global allocator is Redis's). One inter-op thread is written as -1: ops run in the calling thread.
const TF_CONFIG: &[u8] =
    b"\x0a\x07\x0a\x03GPU\x10\x00\x10\x01\x28\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01";

impl TfDirect {
    fn ok(api: &tf_api::Api, st: *mut tf_api::TF_Status) {
        unsafe {
            if (api.TF_GetCode)(st) != tf_api::TF_OK {
                panic!(
                    "TensorFlow: {}",
                    CStr::from_ptr((api.TF_Message)(st)).to_string_lossy()
                );
            }
        }
    }

    fn new(model: &[u8]) -> TfDirect {
        let h = open_backend(
            "redisai_tensorflow/libtensorflow_cc.so.2",
            "scripts/fetch-tf.sh",
        );
        unsafe {
            let api = tf_api::Api::resolve(h).unwrap();
            let st = (api.TF_NewStatus)();
            let graph = (api.TF_NewGraph)();
            let def = tf_api::TF_Buffer {
                data: model.as_ptr().cast(),
                length: model.len(),
                data_deallocator: None,
            };
            let io = (api.TF_NewImportGraphDefOptions)();
            (api.TF_GraphImportGraphDef)(graph, &def, io, st);
            Self::ok(&api, st);
            let so = (api.TF_NewSessionOptions)();
            (api.TF_SetConfig)(so, TF_CONFIG.as_ptr().cast(), TF_CONFIG.len(), st);
            Self::ok(&api, st);
            let session = (api.TF_NewSession)(graph, so, st);
            Self::ok(&api, st);
            let op = |n: &CStr| (api.TF_GraphOperationByName)(graph, n.as_ptr());
            let input = tf_api::TF_Output {
                oper: op(c"input"),
                index: 0,
            };
            let output = tf_api::TF_Output {
                oper: op(c"output"),
                index: 0,
            };
            assert!(!input.oper.is_null() && !output.oper.is_null());
            TfDirect {
                api,
                session,
                input,
                output,
                status: st,
            }
        }
    }
}

impl Direct for TfDirect {
    fn run(&mut self, x: &[u8]) -> Vec<u8> {
        let a = &self.api;
        let dims = [1i64, 28, 28, 1];
        unsafe {
            let t = (a.TF_AllocateTensor)(tf_api::dtype::FLOAT, dims.as_ptr(), 4, x.len());
            std::ptr::copy_nonoverlapping(x.as_ptr(), (a.TF_TensorData)(t).cast::<u8>(), x.len());
            let mut out = std::ptr::null_mut();
            (a.TF_SessionRun)(
                self.session,
                std::ptr::null(),
                &self.input,
                &t,
                1,
                &self.output,
                &mut out,
                1,
                std::ptr::null(),
                0,
                std::ptr::null_mut(),
                self.status,
            );
            Self::ok(a, self.status);
            let n = (a.TF_TensorByteSize)(out);
            let bytes = std::slice::from_raw_parts((a.TF_TensorData)(out).cast::<u8>(), n).to_vec();
            (a.TF_DeleteTensor)(out);
            (a.TF_DeleteTensor)(t);
            bytes
        }
    }
}

/// 64-byte aligned bytes, never freed (the benchmark's buffers live as long as the process).
fn aligned(len: usize) -> &'static mut [u8] {
    let layout = Layout::from_size_align(len, litert_api::HOST_MEMORY_ALIGNMENT).unwrap();
    unsafe { std::slice::from_raw_parts_mut(std::alloc::alloc_zeroed(layout), len) }
}

/// The TFLITE CNN compiled by LiteRT, with its input and output host buffers.
struct TfliteDirect {
    api: litert_api::Api,
    compiled: *mut litert_api::LiteRtCompiledModelT,
    input: &'static mut [u8],
    output: &'static mut [u8],
    bufs: [*mut litert_api::LiteRtTensorBufferT; 2],
}

fn lrt_ok(what: &str, st: litert_api::Status) {
    assert_eq!(
        st,
        litert_api::STATUS_OK,
        "{what}: {}",
        litert_api::status_name(st)
    );
}

impl TfliteDirect {
    fn new(model: &[u8]) -> TfliteDirect {
        use litert_api::*;
        let h = open_backend("redisai_tflite/libLiteRt.so", "scripts/fetch-litert.sh");
        unsafe {
            let api = Api::load(h).unwrap();
            let mut env = std::ptr::null_mut();
            let opts = CPU_ENV_OPTIONS;
            lrt_ok(
                "env",
                (api.CreateEnvironment)(opts.len() as i32, opts.as_ptr(), &mut env),
            );
            let bytes = aligned(model.len());
            bytes.copy_from_slice(model);
            let mut m = std::ptr::null_mut();
            lrt_ok(
                "model",
                (api.CreateModelFromBuffer)(env, bytes.as_ptr().cast(), bytes.len(), &mut m),
            );
            let mut o = std::ptr::null_mut();
            lrt_ok("options", (api.CreateOptions)(&mut o));
            lrt_ok(
                "cpu",
                (api.SetOptionsHardwareAccelerators)(o, HW_ACCELERATOR_CPU),
            );
            let mut compiled = std::ptr::null_mut();
            lrt_ok(
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
                lrt_ok(
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
            TfliteDirect {
                api,
                compiled,
                input,
                output,
                bufs,
            }
        }
    }
}

impl Direct for TfliteDirect {
    fn run(&mut self, x: &[u8]) -> Vec<u8> {
        self.input.copy_from_slice(x);
        unsafe {
            lrt_ok(
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

/// A RESP connection that returns simple strings whole and bulk strings' payloads.
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

/// The words of `s` (split at white space) as a command's arguments.
fn words(s: &str) -> Vec<&[u8]> {
    s.split_whitespace().map(str::as_bytes).collect()
}

/// Median and mean in µs.
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

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// One benchmarked model.
struct Bench {
    title: &'static str,
    /// `AI.MODELSTORE cnn <these>`; the blob is appended.
    store: &'static [&'static str],
    model: Vec<u8>,
    direct: Box<dyn Direct>,
    iters: usize,
}

fn bench(mut b: Bench) -> String {
    let x: Vec<u8> = (0..28 * 28)
        .flat_map(|i| ((i % 97) as f32 / 97.0).to_le_bytes())
        .collect();
    let want = b.direct.run(&x);
    assert_eq!(want.len(), 40);
    let server = RedisServer::options()
        .with_backends()
        .module_args(["INTRA_OP_PARALLELISM", "1", "INTER_OP_PARALLELISM", "1"])
        .start();
    let mut c = Client(BufReader::new(
        TcpStream::connect(("127.0.0.1", server.port)).unwrap(),
    ));
    let mut store: Vec<&[u8]> = vec![b"AI.MODELSTORE", b"cnn"];
    store.extend(b.store.iter().map(|s| s.as_bytes()));
    store.extend([b"BLOB".as_slice(), &b.model]);
    assert_eq!(c.call(&store), b"+OK\r\n");
    let mut set_x = words("AI.TENSORSET x FLOAT 1 28 28 1 BLOB");
    set_x.push(&x);
    let exec = words("AI.MODELEXECUTE cnn INPUTS 1 x OUTPUTS 1 y");
    c.call(&set_x);
    assert_eq!(c.call(&exec), b"+OK\r\n");
    let got = c.call(&[b"AI.TENSORGET", b"y", b"BLOB"]);
    let close = got.len() == want.len()
        && got.chunks(4).zip(want.chunks(4)).all(|(g, w)| {
            let (g, w) = (
                f32::from_le_bytes(g.try_into().unwrap()),
                f32::from_le_bytes(w.try_into().unwrap()),
            );
            (g - w).abs() <= 1e-6
        });
    assert!(close, "server and direct results differ");

    let load_before = load_average();
    time(200, || {
        b.direct.run(&x);
        c.call(&exec);
    });
    let mut s: [Vec<Duration>; 4] = Default::default();
    for _ in 0..b.iters / 100 {
        s[0].extend(time(100, || {
            b.direct.run(&x);
        }));
        s[1].extend(time(100, || {
            c.call(&exec);
        }));
        s[2].extend(time(100, || {
            c.call(&[b"PING"]);
        }));
        s[3].extend(time(100, || {
            c.call(&set_x);
            c.call(&exec);
            c.call(&[b"AI.TENSORGET", b"y", b"BLOB"]);
        }));
    }
    let [d, e, ping, full] = s.map(stats);
    println!(
        "{}, batch 1, {} calls; load average {load_before} before, {} after",
        b.title,
        b.iters,
        load_average()
    );
    println!("{:<44} {:>10} {:>10}", "", "median µs", "mean µs");
    let row = |name: &str, v: (f64, f64)| println!("{name:<44} {:>10.1} {:>10.1}", v.0, v.1);
    row("direct (C API)", d);
    row("PING (round trip alone)", ping);
    row("AI.MODELEXECUTE (input stored)", e);
    row("TENSORSET + MODELEXECUTE + TENSORGET", full);
    let target = d.0 * 1.10 + 50.0;
    println!(
        "overhead of AI.MODELEXECUTE: {:.1} µs per call (median), {:.2}x; target <= 1.10x + 50 µs ({target:.1} µs): {}\n",
        e.0 - d.0,
        e.0 / d.0,
        if e.0 <= target { "met" } else { "NOT met" }
    );
    format!(
        "| {} | {:.1} | {:.1} | {:.2}x | {target:.1} | {:.1} | {:.1} |",
        b.title.split(" (").next().unwrap_or(b.title),
        d.0,
        e.0,
        e.0 / d.0,
        ping.0,
        full.0
    )
}

fn main() {
    let mut which: Vec<String> = std::env::args().skip(1).collect();
    if which.is_empty() {
        which = vec!["tf".into(), "tflite".into()];
    }
    let mut rows = Vec::new();
    for w in &which {
        let b = match w.as_str() {
            "tf" => {
                let model = read("tf/cnn.pb");
                Bench {
                    title: "TF CNN (tests/data/tf/cnn.pb, TensorFlow C API)",
                    store: &[
                        "TF", "CPU", "INPUTS", "1", "input", "OUTPUTS", "1", "output",
                    ],
                    direct: Box::new(TfDirect::new(&model)),
                    model,
                    iters: 2000,
                }
            }
            "tflite" => {
                let model = read("mnist_cnn.tflite");
                Bench {
                    title: "TFLITE CNN (tests/data/mnist_cnn.tflite, LiteRT 2.3.0 C API)",
                    store: &["TFLITE", "CPU"],
                    direct: Box::new(TfliteDirect::new(&model)),
                    model,
                    iters: 3000,
                }
            }
            other => panic!("unknown backend {other:?} (tf, tflite)"),
        };
        rows.push(bench(b));
    }
    println!("| model | direct µs | AI.MODELEXECUTE µs | ratio | target µs | PING µs | TENSORSET+EXECUTE+TENSORGET µs |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!("{r}");
    }
}
