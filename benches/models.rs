//! Model benchmark (`make bench-models`, or `cargo bench -p smartredis --bench models`): the client's
//! `run_model` against calling the backend directly in this process on the same inputs, in the same run.
//!
//! Models, batch 1, one intra-op thread everywhere: an ONNX MLP (784→128→10), an ONNX MNIST-sized CNN (28×28 →
//! conv 8 → conv 16 → 10) and the same CNN in TorchScript (TORCH). Direct calls go through ONNX Runtime's C API
//! (same library and session settings as the module: basic graph optimisation) or the module's libtorch shim, and
//! create the input value, run, and copy the output out, as the module's worker does.
//!
//! Latency (median of interleaved blocks, so every figure sees the same machine load): direct; `run_model` alone
//! (inputs already stored); and `put_tensor` + `run_model` + `unpack_tensor`, the whole round. The target of
//! issue 10 is `run_model` ≤ 1.10 × direct + 50 µs. Throughput: 8 clients (own connections and keys) calling
//! `run_model` against 8 threads calling the direct session, same time windows, alternated. The server runs 8
//! workers on its CPU queue (`THREADS_PER_QUEUE 8`). A second server that hands every run over as RedisAI does (its
//! workers park when idle and every run blocks its client: `SMARTREDIS_AI_SPIN_US=0`, `SMARTREDIS_AI_WAIT_US=0`)
//! is measured alongside, interleaved. `SR_BENCH_ITERS` sets the calls per latency figure
//! (default 2000), `SR_BENCH_WINDOW_MS` the throughput window (default 2000). `SR_BENCH_COMPARE=path` puts that build
//! of the module on the second server instead of the spinning one (two builds compared in the same run).
//!
//! Two floors explain the figures: an `EXISTS` through the same client (one round trip, no model) per latency
//! block, and the CPU time each throughput call costs — of this process (the direct threads, or the clients) and of
//! the server — which bounds the throughput ratio when the machine's cores are all busy. The throughput of the same
//! model stored with `BATCHSIZE 8` (RedisAI's auto-batching of concurrent runs) is measured alongside.

#[path = "../module/src/backends/ort_api.rs"]
#[allow(dead_code)]
mod ort_api;

use std::ffi::CString;
use std::path::Path;
use std::time::{Duration, Instant};

use ort_api::*;
use smartredis::tensor::{TensorMut, TensorRef};
use smartredis::{Client, ConfigOptions, ModelOptions};
use testkit::onnx::{self, CnnWeights};
use testkit::torch::{self as torch_shim, Shim};
use testkit::RedisServer;

const CLIENTS: usize = 8;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Deterministic values in [-0.5, 0.5).
fn rnd(seed: &mut u64, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((*seed >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        })
        .collect()
}

fn ok(api: &Api, st: *mut OrtStatus) {
    if !st.is_null() {
        let m = unsafe { std::ffi::CStr::from_ptr((api.GetErrorMessage)(st)) };
        panic!("ONNX Runtime: {}", m.to_string_lossy());
    }
}

/// ONNX Runtime's C API, opened from the library the module uses.
struct Ort {
    api: Api,
    env: *mut OrtEnv,
    cpu: *mut OrtMemoryInfo,
}

/// One ONNX Runtime session with one float input `input` and one float output `output`.
struct OrtModel<'a> {
    ort: &'a Ort,
    session: *mut OrtSession,
    shape: Vec<i64>,
    out_len: usize,
}

unsafe impl Send for OrtModel<'_> {}
unsafe impl Sync for OrtModel<'_> {}
unsafe impl Sync for Ort {}

impl Ort {
    fn open(backends: &str) -> Ort {
        let lib = Path::new(backends).join("redisai_onnxruntime/libonnxruntime.so");
        assert!(lib.exists(), "run scripts/fetch-backends.sh first");
        let path = CString::new(lib.display().to_string()).unwrap();
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
            let mut cpu = std::ptr::null_mut();
            ok(
                &api,
                (api.CreateCpuMemoryInfo)(ARENA_ALLOCATOR, MEM_TYPE_DEFAULT, &mut cpu),
            );
            Ort { api, env, cpu }
        }
    }

    fn session(&self, model: &[u8], shape: &[i64], out_len: usize) -> OrtModel<'_> {
        let api = &self.api;
        unsafe {
            let mut so = std::ptr::null_mut();
            ok(api, (api.CreateSessionOptions)(&mut so));
            ok(
                api,
                (api.SetSessionGraphOptimizationLevel)(so, ENABLE_BASIC),
            );
            ok(api, (api.SetIntraOpNumThreads)(so, 1));
            let mut session = std::ptr::null_mut();
            ok(
                api,
                (api.CreateSessionFromArray)(
                    self.env,
                    model.as_ptr().cast(),
                    model.len(),
                    so,
                    &mut session,
                ),
            );
            (api.ReleaseSessionOptions)(so);
            OrtModel {
                ort: self,
                session,
                shape: shape.to_vec(),
                out_len,
            }
        }
    }
}

impl OrtModel<'_> {
    /// One run: input value over `x`, Run, output copied out.
    fn run(&self, x: &[f32]) -> Vec<f32> {
        let a = &self.ort.api;
        unsafe {
            let mut v = std::ptr::null_mut();
            ok(
                a,
                (a.CreateTensorWithDataAsOrtValue)(
                    self.ort.cpu,
                    x.as_ptr() as *mut _,
                    x.len() * 4,
                    self.shape.as_ptr(),
                    self.shape.len(),
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
            let y = std::slice::from_raw_parts(p.cast::<f32>(), self.out_len).to_vec();
            (a.ReleaseValue)(out);
            (a.ReleaseValue)(v);
            y
        }
    }
}

fn client(port: u16) -> Client {
    let cfg = ConfigOptions::from_environment("").expect("config");
    cfg.override_string_option("SSDB", &format!("127.0.0.1:{port}"))
        .expect("SSDB");
    cfg.override_string_option("SR_DB_TYPE", "Standalone")
        .expect("SR_DB_TYPE");
    cfg.override_string_option("SSKEYIN", "").expect("SSKEYIN");
    cfg.override_string_option("SSKEYOUT", "")
        .expect("SSKEYOUT");
    Client::new(Some(&cfg), "bench").expect("client")
}

fn median_us(mut t: Vec<Duration>) -> f64 {
    t.sort();
    t[t.len() / 2].as_secs_f64() * 1e6
}

/// A direct call of a model on one input.
type DirectFn<'a> = Box<dyn Fn(&[f32]) -> Vec<f32> + Sync + 'a>;

/// One benchmarked model: how to call it directly and its name and shapes in the store.
struct Case<'a> {
    label: &'static str,
    key: &'static str,
    /// The same model stored with `BATCHSIZE 8`.
    batched: &'static str,
    dims: Vec<usize>,
    out: usize,
    direct: DirectFn<'a>,
}

/// Results of one case: direct, and per server (default, then workers spinning).
struct Row {
    label: &'static str,
    direct: f64,
    exists: f64,
    run: [f64; 2],
    full: [f64; 2],
    direct_tp: Tp,
    server_tp: [Tp; 2],
    batched_tp: Tp,
}

/// A throughput figure: calls per second, and CPU µs per call of this process and of the server.
#[derive(Clone, Copy, Default)]
struct Tp {
    per_s: f64,
    cpu_here: f64,
    cpu_server: f64,
}

impl Tp {
    /// The mean of two figures.
    fn mean(a: Tp, b: Tp) -> Tp {
        Tp {
            per_s: (a.per_s + b.per_s) / 2.0,
            cpu_here: (a.cpu_here + b.cpu_here) / 2.0,
            cpu_server: (a.cpu_server + b.cpu_server) / 2.0,
        }
    }
}

/// CPU seconds (user + system) used so far by this process.
fn cpu_here() -> f64 {
    // SAFETY: getrusage fills the struct.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 * 1e-6;
    t(u.ru_utime) + t(u.ru_stime)
}

/// CPU seconds (user + system) used so far by process `pid` (0 when unknown).
fn cpu_of(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which ends with the last ')'): utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    (ticks(11) + ticks(12)) / hz
}

/// Calls `f(i)` from `CLIENTS` threads for `window`, with the CPU time this process and the server (`pid`, if any)
/// spent meanwhile.
fn throughput(window: Duration, pid: Option<u32>, f: &(dyn Fn(usize) + Sync)) -> Tp {
    let (here0, server0) = (cpu_here(), pid.map_or(0.0, cpu_of));
    let n: u64 = std::thread::scope(|s| {
        let hs: Vec<_> = (0..CLIENTS)
            .map(|i| {
                s.spawn(move || {
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
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let (here, server) = (cpu_here() - here0, pid.map_or(0.0, cpu_of) - server0);
    let calls = n.max(1) as f64;
    Tp {
        per_s: n as f64 / window.as_secs_f64(),
        cpu_here: here / calls * 1e6,
        cpu_server: server / calls * 1e6,
    }
}

fn assert_close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= 1e-4 * (1.0 + w.abs()),
            "{what}: {g} vs {w}"
        );
    }
}

fn bench(
    case: &Case,
    cs: &mut [Client; 2],
    servers: [(u16, u32); 2],
    x: &[f32],
    iters: usize,
    window: Duration,
) -> Row {
    let (xk, yk) = (format!("{}_x", case.key), format!("{}_y", case.key));
    let put = |c: &mut Client| {
        c.put_tensor(&xk, &TensorRef::from_slice(&case.dims, x).unwrap())
            .unwrap()
    };
    let mut y = vec![0f32; case.out];
    let odims = [1, case.out];
    let want = (case.direct)(x);
    for c in cs.iter_mut() {
        put(c);
        c.run_model(case.key, &[xk.as_str()], &[yk.as_str()])
            .unwrap();
        c.unpack_tensor(&yk, TensorMut::from_slice(&odims, &mut y).unwrap())
            .unwrap();
        assert_close(&y, &want, case.label);
        // Warm-up.
        for _ in 0..200 {
            (case.direct)(x);
            c.run_model(case.key, &[xk.as_str()], &[yk.as_str()])
                .unwrap();
        }
    }
    // Blocks of 100 calls: direct, then per server put / run / get (each timed).
    let (mut d, mut e) = (Vec::new(), Vec::new());
    let (mut r, mut f) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    for _ in 0..iters.div_ceil(100) {
        for _ in 0..100 {
            let t = Instant::now();
            std::hint::black_box((case.direct)(x));
            d.push(t.elapsed());
        }
        for _ in 0..100 {
            let t = Instant::now();
            assert!(cs[0].key_exists(&xk).unwrap());
            e.push(t.elapsed());
        }
        for (k, c) in cs.iter_mut().enumerate() {
            for _ in 0..100 {
                let t0 = Instant::now();
                put(c);
                let t1 = Instant::now();
                c.run_model(case.key, &[xk.as_str()], &[yk.as_str()])
                    .unwrap();
                let t2 = Instant::now();
                c.unpack_tensor(&yk, TensorMut::from_slice(&odims, &mut y).unwrap())
                    .unwrap();
                let t3 = Instant::now();
                r[k].push(t2 - t1);
                f[k].push(t3 - t0);
            }
        }
    }
    // Throughput: each client its own connection and keys.
    let clients = |port: u16| -> Vec<std::sync::Mutex<(Client, String, String)>> {
        (0..CLIENTS)
            .map(|i| {
                let mut c = client(port);
                let (xi, yi) = (format!("{xk}{i}"), format!("{yk}{i}"));
                c.put_tensor(&xi, &TensorRef::from_slice(&case.dims, x).unwrap())
                    .unwrap();
                std::sync::Mutex::new((c, xi, yi))
            })
            .collect()
    };
    let conns = [clients(servers[0].0), clients(servers[1].0)];
    let server = |k: usize, model: &'static str| {
        let conns = &conns[k];
        move |i: usize| {
            let mut g = conns[i].lock().unwrap();
            let (c, xi, yi) = &mut *g;
            c.run_model(model, &[xi.as_str()], &[yi.as_str()]).unwrap();
        }
    };
    let direct = |_: usize| {
        std::hint::black_box((case.direct)(x));
    };
    let pid = |k: usize| Some(servers[k].1);
    let (mut dt, mut st, mut bt) = (Vec::new(), [Vec::new(), Vec::new()], Vec::new());
    for _ in 0..2 {
        dt.push(throughput(window, None, &direct));
        st[0].push(throughput(window, pid(0), &server(0, case.key)));
        st[1].push(throughput(window, pid(1), &server(1, case.key)));
        bt.push(throughput(window, pid(0), &server(0, case.batched)));
    }
    let mean = |v: Vec<Tp>| Tp::mean(v[0], v[1]);
    let [r0, r1] = r;
    let [f0, f1] = f;
    let [s0, s1] = st;
    Row {
        label: case.label,
        direct: median_us(d),
        exists: median_us(e),
        run: [median_us(r0), median_us(r1)],
        full: [median_us(f0), median_us(f1)],
        direct_tp: mean(dt),
        server_tp: [mean(s0), mean(s1)],
        batched_tp: mean(bt),
    }
}

fn main() {
    let iters = env_usize("SR_BENCH_ITERS", 2000);
    let window = Duration::from_millis(env_usize("SR_BENCH_WINDOW_MS", 2000) as u64);
    let backends = torch_shim::backends_path();
    let mut seed = 1u64;

    // The models.
    let (w1, b1, w2, b2) = (
        rnd(&mut seed, 784 * 128),
        rnd(&mut seed, 128),
        rnd(&mut seed, 128 * 10),
        rnd(&mut seed, 10),
    );
    let mlp = onnx::mlp(&w1, &b1, &w2, &b2, 784, 128, 10);
    let (c1w, c1b, c2w, c2b, fw, fb) = (
        rnd(&mut seed, 8 * 9),
        rnd(&mut seed, 8),
        rnd(&mut seed, 16 * 8 * 9),
        rnd(&mut seed, 16),
        rnd(&mut seed, 10 * 400),
        rnd(&mut seed, 10),
    );
    let cnn = onnx::cnn(&CnnWeights {
        c1w: &c1w,
        c1b: &c1b,
        c2w: &c2w,
        c2b: &c2b,
        fw: &fw,
        fb: &fb,
    });
    let shim = Shim::open();
    let torch_cnn = shim.build_module(
        "def forward(self, x):
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.c1w, self.c1b)), [2, 2])
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.c2w, self.c2b)), [2, 2])
    x = torch.linear(torch.flatten(x, 1), self.fw, self.fb)
    return torch.log_softmax(x, 1)
",
        &[
            ("c1w", &[8, 1, 3, 3], &c1w),
            ("c1b", &[8], &c1b),
            ("c2w", &[16, 8, 3, 3], &c2w),
            ("c2b", &[16], &c2b),
            ("fw", &[10, 400], &fw),
            ("fb", &[10], &fb),
        ],
    );
    let x_mlp = rnd(&mut seed, 784);
    let x_img: Vec<f32> = rnd(&mut seed, 784).iter().map(|v| v + 0.5).collect();

    // Direct: the same libraries in this process.
    let ort = Ort::open(&backends);
    let mlp_direct = ort.session(&mlp, &[1, 784], 10);
    let cnn_direct = ort.session(&cnn, &[1, 1, 28, 28], 10);
    let torch_direct = shim.load_model(&torch_cnn, 1);
    let img_dims = [1i64, 1, 28, 28];

    // Two servers, 8 workers on their CPU queue, one intra-op thread per run: the default, and one that neither
    // polls nor waits (`SMARTREDIS_AI_SPIN_US=0`, `SMARTREDIS_AI_WAIT_US=0`), measured interleaved in the same run.
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
    // `SR_BENCH_COMPARE=path/to/libsmartredis_ai.so`: the second server runs that build of the module instead (an
    // A/B comparison of two builds in the same run; its tables are then labelled with the path).
    let compare = std::env::var("SR_BENCH_COMPARE").ok();
    let second = match &compare {
        Some(path) => {
            std::env::set_var("SMARTREDIS_AI_MODULE", path);
            let s = start();
            std::env::remove_var("SMARTREDIS_AI_MODULE");
            s
        }
        None => {
            let vars = ["SMARTREDIS_AI_SPIN_US", "SMARTREDIS_AI_WAIT_US"];
            vars.iter().for_each(|v| std::env::set_var(v, "0"));
            let s = start();
            vars.iter().for_each(|v| std::env::remove_var(v));
            s
        }
    };
    let servers = [(server.port, server.pid()), (second.port, second.pid())];
    let mut cs = servers.map(|(port, _)| client(port));
    let none = ModelOptions::default();
    let batch8 = ModelOptions {
        batch_size: CLIENTS as i32,
        ..ModelOptions::default()
    };
    for c in cs.iter_mut() {
        for (opts, sfx) in [(&none, ""), (&batch8, "_b8")] {
            c.set_model(&format!("mlp{sfx}"), &mlp, "ONNX", "CPU", opts)
                .unwrap();
            c.set_model(&format!("cnn{sfx}"), &cnn, "ONNX", "CPU", opts)
                .unwrap();
            c.set_model(&format!("torch_cnn{sfx}"), &torch_cnn, "TORCH", "CPU", opts)
                .unwrap();
        }
    }

    let cases = [
        (
            Case {
                label: "ONNX MLP 784-128-10",
                key: "mlp",
                batched: "mlp_b8",
                dims: vec![1, 784],
                out: 10,
                direct: Box::new(|x| mlp_direct.run(x)),
            },
            &x_mlp,
        ),
        (
            Case {
                label: "ONNX CNN 28x28 (MNIST-sized)",
                key: "cnn",
                batched: "cnn_b8",
                dims: vec![1, 1, 28, 28],
                out: 10,
                direct: Box::new(|x| cnn_direct.run(x)),
            },
            &x_img,
        ),
        (
            Case {
                label: "TORCH CNN 28x28 (TorchScript)",
                key: "torch_cnn",
                batched: "torch_cnn_b8",
                dims: vec![1, 1, 28, 28],
                out: 10,
                direct: Box::new(|x| {
                    let mut out = torch_direct.run(&[(&img_dims, x)]);
                    out.remove(0).1
                }),
            },
            &x_img,
        ),
    ];
    let rows: Vec<Row> = cases
        .iter()
        .map(|(case, x)| bench(case, &mut cs, servers, x, iters, window))
        .collect();

    println!(
        "Batch 1, one intra-op thread; medians of {iters} calls per figure; throughput: {CLIENTS} clients vs \
         {CLIENTS} direct threads, {} ms windows.\n",
        window.as_millis()
    );
    println!(
        "| model | direct µs | run_model µs | ratio | target µs (1.10x+50) | met | put+run+get µs | EXISTS µs | \
         direct {CLIENTS} thr/s | {CLIENTS} clients/s | ratio (≥0.9) | BATCHSIZE 8: clients/s | ratio |"
    );
    println!("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let target = 1.10 * r.direct + 50.0;
        let (d, s, b) = (r.direct_tp, r.server_tp[0], r.batched_tp);
        println!(
            "| {} | {:.1} | {:.1} | {:.2}x | {:.1} | {} | {:.1} | {:.1} | {:.0} | {:.0} | {:.2}x | {:.0} | {:.2}x |",
            r.label,
            r.direct,
            r.run[0],
            r.run[0] / r.direct,
            target,
            if r.run[0] <= target { "yes" } else { "no" },
            r.full[0],
            r.exists,
            d.per_s,
            s.per_s,
            s.per_s / d.per_s,
            b.per_s,
            b.per_s / d.per_s
        );
    }
    println!(
        "\nCPU µs per throughput call (this process: the direct threads or the clients; the server), which bounds the \
         client/direct ratio at about direct ÷ (clients + server) when every core is busy:\n"
    );
    println!(
        "| model | direct | clients | server | bound | BATCHSIZE 8: clients | server | bound |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let (d, s, b) = (r.direct_tp, r.server_tp[0], r.batched_tp);
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.2}x | {:.1} | {:.1} | {:.2}x |",
            r.label,
            d.cpu_here,
            s.cpu_here,
            s.cpu_server,
            d.cpu_here / (s.cpu_here + s.cpu_server),
            b.cpu_here,
            b.cpu_server,
            d.cpu_here / (b.cpu_here + b.cpu_server)
        );
    }
    match &compare {
        Some(path) => println!("\nSame run, a server with the module {path}:\n"),
        None => println!(
            "\nSame run, a server that hands every run over as RedisAI does (SMARTREDIS_AI_SPIN_US=0, SMARTREDIS_AI_WAIT_US=0):\n"
        ),
    }
    println!("| model | run_model µs | ratio | put+run+get µs | {CLIENTS} clients/s | ratio |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {:.1} | {:.2}x | {:.1} | {:.0} | {:.2}x |",
            r.label,
            r.run[1],
            r.run[1] / r.direct,
            r.full[1],
            r.server_tp[1].per_s,
            r.server_tp[1].per_s / r.direct_tp.per_s
        );
    }
}
