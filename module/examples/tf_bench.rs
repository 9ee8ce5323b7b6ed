//! TF benchmark (`make bench-tf`): `AI.MODELEXECUTE` of the MNIST-sized TF CNN (tests/data/tf/cnn.pb, batch 1)
//! through the module against the same frozen graph run directly through TensorFlow's C API in this process, same
//! library, same session settings (no GPU, one intra-op and one inter-op thread). Latency per call, median and
//! mean. Direct calls copy the input into a new tensor, run, and copy the output out, as the module's worker does;
//! the server figures add the request, the queue hand-off, the hand-back to the main thread and the output write.

#[path = "../src/backends/tf_api.rs"]
#[allow(dead_code)]
mod tf_api;

use std::ffi::{CStr, CString};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use testkit::RedisServer;
use tf_api::*;

/// The session config the module uses with one intra-op and one inter-op thread (`tf::session_config(1, 1)`).
const CONFIG: &[u8] = b"\x0a\x07\x0a\x03GPU\x10\x00\x10\x01\x28\x01";

fn backends() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../build/backends");
    assert!(
        p.join("redisai_tensorflow/libtensorflow_cc.so.2").exists(),
        "run scripts/fetch-tf.sh first"
    );
    p.canonicalize().unwrap()
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/data/tf")
            .join(name),
    )
    .unwrap()
}

struct Direct {
    api: Api,
    session: *mut TF_Session,
    input: TF_Output,
    output: TF_Output,
    status: *mut TF_Status,
}

fn ok(api: &Api, st: *mut TF_Status) {
    unsafe {
        if (api.TF_GetCode)(st) != TF_OK {
            panic!(
                "TensorFlow: {}",
                CStr::from_ptr((api.TF_Message)(st)).to_string_lossy()
            );
        }
    }
}

impl Direct {
    fn new(model: &[u8]) -> Direct {
        let path = CString::new(
            backends()
                .join("redisai_tensorflow/libtensorflow_cc.so.2")
                .to_str()
                .unwrap(),
        )
        .unwrap();
        unsafe {
            let h = libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
            assert!(!h.is_null());
            let api = Api::resolve(h).unwrap();
            let st = (api.TF_NewStatus)();
            let graph = (api.TF_NewGraph)();
            let def = TF_Buffer {
                data: model.as_ptr().cast(),
                length: model.len(),
                data_deallocator: None,
            };
            let io = (api.TF_NewImportGraphDefOptions)();
            (api.TF_GraphImportGraphDef)(graph, &def, io, st);
            ok(&api, st);
            let so = (api.TF_NewSessionOptions)();
            (api.TF_SetConfig)(so, CONFIG.as_ptr().cast(), CONFIG.len(), st);
            ok(&api, st);
            let session = (api.TF_NewSession)(graph, so, st);
            ok(&api, st);
            let op = |n: &CStr| (api.TF_GraphOperationByName)(graph, n.as_ptr());
            let input = TF_Output {
                oper: op(c"input"),
                index: 0,
            };
            let output = TF_Output {
                oper: op(c"output"),
                index: 0,
            };
            assert!(!input.oper.is_null() && !output.oper.is_null());
            Direct {
                api,
                session,
                input,
                output,
                status: st,
            }
        }
    }

    /// One run: input copied into a new tensor, TF_SessionRun, output copied out.
    fn run(&self, x: &[u8]) -> Vec<u8> {
        let a = &self.api;
        let dims = [1i64, 28, 28, 1];
        unsafe {
            let t = (a.TF_AllocateTensor)(dtype::FLOAT, dims.as_ptr(), 4, x.len());
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
            ok(a, self.status);
            let n = (a.TF_TensorByteSize)(out);
            let bytes = std::slice::from_raw_parts((a.TF_TensorData)(out).cast::<u8>(), n).to_vec();
            (a.TF_DeleteTensor)(out);
            (a.TF_DeleteTensor)(t);
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
    let model = data("cnn.pb");
    let x = data("cnn_input.f32")[..784 * 4].to_vec();
    let iters = 2000;

    let direct = Direct::new(&model);
    let want = direct.run(&x);
    assert_eq!(want.len(), 40);

    let server = RedisServer::options()
        .with_module()
        .module_args([
            "BACKENDSPATH",
            backends().to_str().unwrap(),
            "INTRA_OP_PARALLELISM",
            "1",
            "INTER_OP_PARALLELISM",
            "1",
        ])
        .start();
    let mut c = Client(BufReader::new(
        TcpStream::connect(("127.0.0.1", server.port)).unwrap(),
    ));
    let store: [&[u8]; 12] = [
        b"AI.MODELSTORE",
        b"cnn",
        b"TF",
        b"CPU",
        b"INPUTS",
        b"1",
        b"input",
        b"OUTPUTS",
        b"1",
        b"output",
        b"BLOB",
        &model,
    ];
    assert_eq!(c.call(&store), b"+OK\r\n");
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
    c.call(&set_x);
    assert_eq!(c.call(&exec), b"+OK\r\n");
    let got = c.call(&[b"AI.TENSORGET", b"y", b"BLOB"]);
    let close = got.chunks(4).zip(want.chunks(4)).all(|(g, w)| {
        let (g, w) = (
            f32::from_le_bytes(g.try_into().unwrap()),
            f32::from_le_bytes(w.try_into().unwrap()),
        );
        (g - w).abs() <= 1e-6
    });
    assert!(close, "server and direct results differ");

    // Warm-up, then direct, MODELEXECUTE, PING and the full round trip interleaved in blocks of 100 calls.
    time(200, || {
        direct.run(&x);
        c.call(&exec);
    });
    let mut s: [Vec<Duration>; 4] = Default::default();
    for _ in 0..iters / 100 {
        s[0].extend(time(100, || {
            direct.run(&x);
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
    println!("TF CNN (tests/data/tf/cnn.pb), batch 1, {iters} calls; one intra-op and one inter-op thread");
    println!("{:<44} {:>10} {:>10}", "", "median µs", "mean µs");
    let row = |name: &str, v: (f64, f64)| println!("{name:<44} {:>10.1} {:>10.1}", v.0, v.1);
    row("TensorFlow direct (C API)", d);
    row("PING (round trip alone)", ping);
    row("AI.MODELEXECUTE (input stored)", e);
    row("TENSORSET + MODELEXECUTE + TENSORGET", full);
    println!(
        "overhead of AI.MODELEXECUTE: {:.1} µs per call (median), {:.2}x; target <= 1.10x + 50 µs ({:.1} µs)",
        e.0 - d.0,
        e.0 / d.0,
        d.0 * 1.10 + 50.0
    );
}
