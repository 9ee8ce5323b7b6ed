//! The TORCH backend and scripts: TorchScript models (AI.MODELSTORE ... TORCH), AI.SCRIPTSTORE/SCRIPTSET/
//! SCRIPTGET/SCRIPTDEL/SCRIPTEXECUTE/SCRIPTRUN with RedisAI's `redis.execute` and `redisAI.model_execute`
//! extensions, errors, and persistence, against a real redis-server with the module. Models are built at test
//! time by libtorch (`torch::jit::Module::define` + `save`, through the shim; no PyPI torch), and every result is
//! checked against the same model or function run directly in libtorch.

mod common;

use common::{
    assert_close, bulk, bulk_payload, cmd, err, get_f32, model_store, rewrite_aof, server_with,
    set_f32, words, Raw, RedisServer, Rng, AOF,
};
use testkit::torch::Shim;

fn store_model(c: &mut Raw, key: &str, blob: &[u8]) -> String {
    model_store(c, key, "TORCH", "CPU", &[], blob)
}

fn randf(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| (rng.below(2001) as f32 - 1000.0) / 1000.0)
        .collect()
}

const LINEAR: &str = "def forward(self, x):\n    return torch.matmul(x, self.w) + self.b\n";

/// `x [n,3] · w [3,2] + b`.
fn linear(shim: &Shim, rng: &mut Rng) -> Vec<u8> {
    let (w, b) = (randf(rng, 6), randf(rng, 2));
    shim.build_module(LINEAR, &[("w", &[3, 2], &w), ("b", &[2], &b)])
}

/// An MNIST-sized CNN: conv 1→8 3×3, relu, maxpool 2, conv 8→16 3×3, relu, maxpool 2, linear 400→10,
/// log_softmax. Input [n,1,28,28], output [n,10].
fn cnn(shim: &Shim, rng: &mut Rng) -> Vec<u8> {
    let src = "def forward(self, x):
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.c1w, self.c1b)), [2, 2])
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.c2w, self.c2b)), [2, 2])
    x = torch.linear(torch.flatten(x, 1), self.fw, self.fb)
    return torch.log_softmax(x, 1)
";
    let (c1w, c1b) = (randf(rng, 8 * 9), randf(rng, 8));
    let (c2w, c2b) = (randf(rng, 16 * 8 * 9), randf(rng, 16));
    let (fw, fb) = (randf(rng, 10 * 400), randf(rng, 10));
    shim.build_module(
        src,
        &[
            ("c1w", &[8, 1, 3, 3], &c1w),
            ("c1b", &[8], &c1b),
            ("c2w", &[16, 8, 3, 3], &c2w),
            ("c2b", &[16], &c2b),
            ("fw", &[10, 400], &fw),
            ("fb", &[10], &fb),
        ],
    )
}

/// SmartRedis-style processing functions (plain functions, stored with AI.SCRIPTSET, run with AI.SCRIPTRUN).
const PROCESSING: &str = "def pre_process(inp):
    return inp.float().div(255)

def pre_process_3ch(image):
    return image.float().div(255).unsqueeze(0)

def post_process(output):
    return output.max(1)[1]

def concat(a, rest: List[Tensor]):
    return torch.cat([a] + rest, 0)
";

/// Entry points using RedisAI's extensions.
const ENTRY: &str = "def add(tensors: List[Tensor], keys: List[str], args: List[str]):
    return tensors[0] + tensors[1]

def set_get(tensors: List[Tensor], keys: List[str], args: List[str]):
    redis.execute(\"SET\", keys[0], args[0])
    v = float(str(redis.execute(\"GET\", keys[0])))
    n = int(str(redis.execute(\"INCR\", keys[1])))
    redis.execute(\"RPUSH\", keys[2], \"a\", \"b\", \"c\")
    l = redis.asList(redis.execute(\"LRANGE\", keys[2], \"0\", \"-1\"))
    return torch.tensor([v, float(n), float(len(l))])

def call_model(tensors: List[Tensor], keys: List[str], args: List[str]):
    out = redisAI.model_execute(keys[0], tensors, 1)
    return out[0] * 2.0

def bad_incr(tensors: List[Tensor], keys: List[str], args: List[str]):
    redis.execute(\"INCR\", keys[0])
    return tensors[0]

def two(tensors: List[Tensor], keys: List[str], args: List[str]):
    return tensors[0], tensors[0] + 1.0

def side_effect_only(tensors: List[Tensor], keys: List[str], args: List[str]):
    redis.execute(\"SET\", keys[0], \"done\")
    return tensors
";
const ENTRY_POINTS: [&str; 6] = [
    "add",
    "set_get",
    "call_model",
    "bad_incr",
    "two",
    "side_effect_only",
];

fn scriptstore(c: &mut Raw, key: &str, entry: &[&str], source: &str) -> String {
    let n = entry.len().to_string();
    let mut args: Vec<&[u8]> = vec![
        b"AI.SCRIPTSTORE",
        key.as_bytes(),
        b"CPU",
        b"ENTRY_POINTS",
        n.as_bytes(),
    ];
    args.extend(entry.iter().map(|e| e.as_bytes()));
    args.push(b"SOURCE");
    args.push(source.as_bytes());
    cmd(c, &args)
}

#[test]
fn torch_models_match_libtorch() {
    let shim = Shim::open();
    let mut rng = Rng(11);
    let server = server_with(&["INTRA_OP_PARALLELISM", "1", "INTER_OP_PARALLELISM", "1"]);
    let mut c = Raw::new(&server);

    let lin = linear(&shim, &mut rng);
    assert_eq!(
        model_store(&mut c, "m", "TORCH", "CPU", &words("TAG v1"), &lin),
        "+OK\r\n"
    );
    // TORCH stores the forward() argument names as inputs and one empty name per output.
    assert_eq!(
        c.cmd(&["AI.MODELGET", "m", "META"]),
        "*16\r\n$7\r\nbackend\r\n$5\r\nTORCH\r\n$6\r\ndevice\r\n$3\r\nCPU\r\n$3\r\ntag\r\n$2\r\nv1\r\n\
         $9\r\nbatchsize\r\n:0\r\n$12\r\nminbatchsize\r\n:0\r\n$6\r\ninputs\r\n*1\r\n$1\r\nx\r\n\
         $7\r\noutputs\r\n*1\r\n$0\r\n\r\n$15\r\nminbatchtimeout\r\n:0\r\n"
    );
    assert_eq!(
        bulk_payload(&c.cmd_bytes(&[b"AI.MODELGET", b"m", b"BLOB"])),
        lin
    );
    let x = randf(&mut rng, 12);
    set_f32(&mut c, "x", &[4, 3], &x);
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE m INPUTS 1 x OUTPUTS 1 y")),
        "+OK\r\n"
    );
    let want = shim.run_model(&lin, &[(&[4, 3], &x)]);
    assert_eq!(want[0].0, [4, 2]);
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "y", "META"]),
        "*4\r\n$5\r\ndtype\r\n$5\r\nFLOAT\r\n$5\r\nshape\r\n*2\r\n:4\r\n:2\r\n"
    );
    assert_close(&get_f32(&mut c, "y"), &want[0].1);
    // The deprecated AI.MODELRUN too.
    assert_eq!(
        c.cmd(&["AI.MODELRUN", "m", "INPUTS", "x", "OUTPUTS", "y2"]),
        "+OK\r\n"
    );
    assert_close(&get_f32(&mut c, "y2"), &want[0].1);
    let info = c.cmd(&["AI.INFO", "m"]);
    assert!(
        info.contains("$5\r\nTORCH\r\n")
            && info.contains("$7\r\nsamples\r\n:8\r\n$5\r\ncalls\r\n:2\r\n"),
        "{info}"
    );

    // Two outputs (a tuple).
    let pair = shim.build_module("def forward(self, a, b):\n    return a + b, a * b\n", &[]);
    assert_eq!(store_model(&mut c, "pair", &pair), "+OK\r\n");
    let meta = c.cmd(&["AI.MODELGET", "pair", "META"]);
    assert!(meta.contains("$6\r\ninputs\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n$7\r\noutputs\r\n*2\r\n$0\r\n\r\n$0\r\n\r\n"), "{meta}");
    let b = randf(&mut rng, 12);
    set_f32(&mut c, "b", &[4, 3], &b);
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE pair INPUTS 2 x b OUTPUTS 2 s p")),
        "+OK\r\n"
    );
    let want = shim.run_model(&pair, &[(&[4, 3], &x), (&[4, 3], &b)]);
    assert_close(&get_f32(&mut c, "s"), &want[0].1);
    assert_close(&get_f32(&mut c, "p"), &want[1].1);

    // An MNIST-sized CNN, batch 1 and batch 5.
    let net = cnn(&shim, &mut rng);
    assert_eq!(store_model(&mut c, "cnn", &net), "+OK\r\n");
    for n in [1i64, 5] {
        let img = randf(&mut rng, n as usize * 784);
        set_f32(&mut c, "img", &[n, 1, 28, 28], &img);
        assert_eq!(
            c.cmd(&words(
                "AI.MODELEXECUTE cnn INPUTS 1 img OUTPUTS 1 out TIMEOUT 60000"
            )),
            "+OK\r\n"
        );
        let want = shim.run_model(&net, &[(&[n, 1, 28, 28], &img)]);
        assert_eq!(want[0].0, [n, 10]);
        assert_close(&get_f32(&mut c, "out"), &want[0].1);
    }
}

#[test]
fn smartredis_style_scripts_and_the_mnist_flow() {
    let shim = Shim::open();
    let mut rng = Rng(5);
    let server = server_with(&[]);
    let mut c = Raw::new(&server);
    let net = cnn(&shim, &mut rng);
    assert_eq!(store_model(&mut c, "cnn", &net), "+OK\r\n");
    // What SmartRedis's set_script sends.
    assert_eq!(
        c.cmd(&["AI.SCRIPTSET", "s", "CPU", "SOURCE", PROCESSING]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["AI.SCRIPTGET", "s", "SOURCE"]), bulk(PROCESSING));
    assert_eq!(
        c.cmd(&["AI.SCRIPTGET", "s", "META"]),
        "*6\r\n$6\r\ndevice\r\n$3\r\nCPU\r\n$3\r\ntag\r\n$0\r\n\r\n$12\r\nEntry Points\r\n*0\r\n"
    );
    assert_eq!(
        c.cmd(&["AI.SCRIPTGET", "s"]),
        format!(
            "*8\r\n$6\r\ndevice\r\n$3\r\nCPU\r\n$3\r\ntag\r\n$0\r\n\r\n$12\r\nEntry Points\r\n*0\r\n$6\r\nsource\r\n{}",
            bulk(PROCESSING)
        )
    );

    // script → model → script, as SmartRedis's MNIST example does with run_script/run_model/run_script.
    let raw: Vec<f32> = (0..784).map(|_| rng.below(256) as f32).collect();
    set_f32(&mut c, "raw", &[1, 1, 28, 28], &raw);
    assert_eq!(
        c.cmd(&words("AI.SCRIPTRUN s pre_process INPUTS raw OUTPUTS x")),
        "+OK\r\n"
    );
    let pre = shim.run_script(PROCESSING, "pre_process", &[(&[1, 1, 28, 28], &raw)]);
    assert_eq!(get_f32(&mut c, "x"), pre[0].1, "pre_process");
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE cnn INPUTS 1 x OUTPUTS 1 out")),
        "+OK\r\n"
    );
    let out = shim.run_model(&net, &[(&[1, 1, 28, 28], &pre[0].1)]);
    assert_close(&get_f32(&mut c, "out"), &out[0].1);
    assert_eq!(
        c.cmd(&words(
            "AI.SCRIPTRUN s post_process TIMEOUT 60000 INPUTS out OUTPUTS label"
        )),
        "+OK\r\n"
    );
    let argmax = out[0]
        .1
        .iter()
        .enumerate()
        .fold(
            (0, f32::MIN),
            |best, (i, &v)| if v > best.1 { (i, v) } else { best },
        )
        .0;
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "label", "VALUES"]),
        format!("*1\r\n:{argmax}\r\n")
    );
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "label", "META"]),
        "*4\r\n$5\r\ndtype\r\n$5\r\nINT64\r\n$5\r\nshape\r\n*1\r\n:1\r\n"
    );
    // A trailing List[Tensor] parameter takes the remaining inputs (`$` marks them in SCRIPTRUN).
    set_f32(&mut c, "a", &[1, 2], &[1.0, 2.0]);
    assert_eq!(
        c.cmd(&words("AI.SCRIPTRUN s concat INPUTS a $ a a OUTPUTS cat")),
        "+OK\r\n"
    );
    assert_eq!(get_f32(&mut c, "cat"), [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
    // AI.INFO: a SCRIPT with samples -1.
    let info = c.cmd(&["AI.INFO", "s"]);
    assert!(
        info.starts_with("*18\r\n$3\r\nkey\r\n$1\r\ns\r\n$4\r\ntype\r\n$6\r\nSCRIPT\r\n$7\r\nbackend\r\n$5\r\nTORCH\r\n")
            && info.contains("$7\r\nsamples\r\n:-1\r\n$5\r\ncalls\r\n:3\r\n$6\r\nerrors\r\n:0\r\n"),
        "{info}"
    );
    assert_eq!(c.cmd(&["AI.INFO", "s", "RESETSTAT"]), "+OK\r\n");
    assert!(c
        .cmd(&["AI.INFO", "s"])
        .contains("$7\r\nsamples\r\n:-1\r\n$5\r\ncalls\r\n:0\r\n"));
    assert_eq!(c.cmd(&["AI.SCRIPTDEL", "s"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["AI.SCRIPTGET", "s"]),
        err("ERR script key is empty")
    );
    assert_eq!(
        c.cmd(&["AI.INFO", "s"]),
        err("ERR cannot find run info for key")
    );
}

#[test]
fn entry_points_call_back_into_redis_and_models() {
    let shim = Shim::open();
    let mut rng = Rng(3);
    let server = server_with(&["THREADS_PER_QUEUE", "2"]);
    let mut c = Raw::new(&server);
    assert_eq!(scriptstore(&mut c, "s", &ENTRY_POINTS, ENTRY), "+OK\r\n");
    let meta = c.cmd(&["AI.SCRIPTGET", "s", "META"]);
    assert!(meta.ends_with("$12\r\nEntry Points\r\n*6\r\n$3\r\nadd\r\n$7\r\nset_get\r\n$10\r\ncall_model\r\n$8\r\nbad_incr\r\n$3\r\ntwo\r\n$16\r\nside_effect_only\r\n"), "{meta}");

    set_f32(&mut c, "a", &[2], &[1.0, 2.0]);
    set_f32(&mut c, "b", &[2], &[10.0, 20.0]);
    assert_eq!(
        c.cmd(&words("AI.SCRIPTEXECUTE s add INPUTS 2 a b OUTPUTS 1 c")),
        "+OK\r\n"
    );
    assert_eq!(get_f32(&mut c, "c"), [11.0, 22.0]);
    assert_eq!(
        c.cmd(&words(
            "AI.SCRIPTEXECUTE s two INPUTS 1 a OUTPUTS 2 t1 t2 TIMEOUT 60000"
        )),
        "+OK\r\n"
    );
    assert_eq!(get_f32(&mut c, "t2"), [2.0, 3.0]);

    // redis.execute: SET/GET/INCR and a list, from the worker thread.
    assert_eq!(
        c.cmd(&words(
            "AI.SCRIPTEXECUTE s set_get KEYS 3 k n l ARGS 1 2.5 OUTPUTS 1 o"
        )),
        "+OK\r\n"
    );
    assert_eq!(get_f32(&mut c, "o"), [2.5, 1.0, 3.0]);
    assert_eq!(c.cmd(&["GET", "k"]), bulk("2.5"));
    assert_eq!(c.cmd(&["LLEN", "l"]), ":3\r\n");
    // A script may have no OUTPUTS and act only through redis.execute.
    assert_eq!(
        c.cmd(&words(
            "AI.SCRIPTEXECUTE s side_effect_only KEYS 1 flag INPUTS 0"
        )),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["GET", "flag"]), bulk("done"));
    // A Redis error inside the script is the run's error.
    let e = c.cmd(&words(
        "AI.SCRIPTEXECUTE s bad_incr KEYS 1 k INPUTS 1 a OUTPUTS 1 o",
    ));
    assert!(
        e.starts_with('-')
            && e.contains("Redis command returned an error: ERR value is not an integer"),
        "{e}"
    );

    // redisAI.model_execute runs a stored model from inside the script.
    let lin = linear(&shim, &mut rng);
    assert_eq!(store_model(&mut c, "m", &lin), "+OK\r\n");
    let x = randf(&mut rng, 6);
    set_f32(&mut c, "x", &[2, 3], &x);
    assert_eq!(
        c.cmd(&words(
            "AI.SCRIPTEXECUTE s call_model KEYS 1 m INPUTS 1 x OUTPUTS 1 y"
        )),
        "+OK\r\n"
    );
    let want: Vec<f32> = shim.run_model(&lin, &[(&[2, 3], &x)])[0]
        .1
        .iter()
        .map(|v| v * 2.0)
        .collect();
    assert_close(&get_f32(&mut c, "y"), &want);
    let e = c.cmd(&words(
        "AI.SCRIPTEXECUTE s call_model KEYS 1 nomodel INPUTS 1 x OUTPUTS 1 y",
    ));
    assert!(
        e.starts_with('-') && e.contains("ERR model key is empty"),
        "{e}"
    );

    // Script ops inside DAGs (any scope order there), and the deprecated DAGRUN with SCRIPTRUN.
    assert_eq!(
        c.cmd(
            &[
                words("AI.DAGEXECUTE LOAD 2 a b PERSIST 1 d"),
                words("|> AI.SCRIPTEXECUTE s add OUTPUTS 1 t INPUTS 2 a b"),
                words("|> AI.SCRIPTEXECUTE s add INPUTS 2 t t OUTPUTS 1 d")
            ]
            .concat()
        ),
        "*2\r\n+OK\r\n+OK\r\n"
    );
    assert_eq!(get_f32(&mut c, "d"), [22.0, 44.0]);
    assert_eq!(
        c.cmd(&["AI.SCRIPTSET", "sp", "CPU", "SOURCE", PROCESSING]),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(
            &[
                words("AI.DAGRUN LOAD 1 a |> AI.SCRIPTRUN sp pre_process INPUTS a OUTPUTS p"),
                words("|> AI.TENSORGET p BLOB")
            ]
            .concat()
        ),
        format!(
            "*2\r\n+OK\r\n$8\r\n{}\r\n",
            String::from_utf8_lossy(
                &[1.0f32 / 255.0, 2.0 / 255.0]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect::<Vec<u8>>()
            )
        )
    );
    let e = c.cmd(&words(
        "AI.DAGEXECUTE LOAD 1 a |> AI.SCRIPTEXECUTE s nope INPUTS 1 a OUTPUTS 1 o",
    ));
    assert_eq!(e, "*1\r\n-Function does not exist: nope\r\n");

    // Concurrent calls on two workers, each checked.
    let port = server.port;
    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let mut c = Raw::connect(port);
                for i in 0..10 {
                    let v = (t * 100 + i) as f32;
                    let (a, o) = (format!("a{t}"), format!("o{t}"));
                    set_f32(&mut c, &a, &[1], &[v]);
                    assert_eq!(
                        c.cmd(&[
                            "AI.SCRIPTEXECUTE",
                            "s",
                            "add",
                            "INPUTS",
                            "2",
                            &a,
                            &a,
                            "OUTPUTS",
                            "1",
                            &o
                        ]),
                        "+OK\r\n"
                    );
                    assert_eq!(get_f32(&mut c, &o), [2.0 * v]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn errors_are_clear_and_the_server_stays_up() {
    let shim = Shim::open();
    let mut rng = Rng(9);
    let server = server_with(&[]);
    let mut c = Raw::new(&server);
    // Bad model bytes and a GPU device.
    let e = store_model(&mut c, "m", b"not a torchscript archive");
    assert!(
        e.starts_with('-') && !e.contains('\n') || e.ends_with("\r\n"),
        "{e}"
    );
    assert!(e.starts_with('-'), "{e}");
    let lin = linear(&shim, &mut rng);
    let gpu = model_store(&mut c, "m", "TORCH", "GPU", &[], &lin);
    assert_eq!(
        gpu,
        err("ERR GPU devices are not supported by this build (CPU only)")
    );
    assert_eq!(
        c.cmd(&["AI.SCRIPTSET", "s", "GPU:1", "SOURCE", PROCESSING]),
        err("ERR GPU devices are not supported by this build (CPU only)")
    );
    // Wrong input count and a wrong shape.
    assert_eq!(store_model(&mut c, "m", &lin), "+OK\r\n");
    set_f32(&mut c, "x", &[2, 3], &randf(&mut rng, 6));
    set_f32(&mut c, "bad", &[2, 5], &randf(&mut rng, 10));
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE m INPUTS 2 x x OUTPUTS 1 y")),
        err("Number of keys given as INPUTS here does not match model definition")
    );
    let e = c.cmd(&words("AI.MODELEXECUTE m INPUTS 1 bad OUTPUTS 1 y"));
    assert!(
        e.starts_with('-') && e.contains("shapes cannot be multiplied"),
        "{e}"
    );
    assert!(c.cmd(&["AI.INFO", "m"]).contains("$6\r\nerrors\r\n:1\r\n"));

    // Bad script source: libtorch's compile error, on one line.
    let e = c.cmd(&[
        "AI.SCRIPTSET",
        "s",
        "CPU",
        "SOURCE",
        "def f(x):\n    return undefined_thing\n",
    ]);
    assert!(
        e.starts_with('-') && e.contains("undefined_thing") && e.matches('\n').count() == 1,
        "{e}"
    );
    assert_eq!(c.cmd(&["EXISTS", "s"]), ":0\r\n");
    // Entry points that are missing or have the wrong signature (RedisAI's texts, no ERR prefix).
    assert_eq!(
        scriptstore(&mut c, "s", &["nope"], ENTRY),
        err("Function nope does not exist in the given script.")
    );
    assert_eq!(
        scriptstore(&mut c, "s", &["pre_process"], PROCESSING),
        err("Wrong number of inputs in function pre_process. Expected 3 but was 1")
    );
    let wrong = "def f(a: List[Tensor], b: List[str], c: int):\n    return a[0]\n";
    assert_eq!(
        scriptstore(&mut c, "s", &["f"], wrong),
        err("Wrong inputs type in function f. Expected signature similar to: def f(tensors: List[Tensor], keys: List[str], args: List[str])")
    );
    // Grammar errors.
    assert_eq!(
        c.cmd(&["AI.SCRIPTSTORE", "s", "CPU", "SOURCE", "x"]),
        err("ERR wrong number of arguments for 'ai.scriptstore' command")
    );
    assert_eq!(
        c.cmd(&["AI.SCRIPTSTORE", "s", "CPU", "TAG", "t", "SOURCE", "x", "y"]),
        err("ERR Insufficient arguments, missing script entry points")
    );
    assert_eq!(
        c.cmd(&["AI.SCRIPTSET", "s", "CPU", "SOURCE"]),
        err("ERR wrong number of arguments for 'ai.scriptset' command")
    );

    // Unknown function, wrong input count, wrong output count, missing input key, wrong types.
    assert_eq!(
        c.cmd(&["AI.SCRIPTSET", "s", "CPU", "SOURCE", PROCESSING]),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["AI.SCRIPTRUN", "s", "nope", "INPUTS", "x", "OUTPUTS", "y"]),
        err("Function does not exist: nope")
    );
    assert_eq!(
        c.cmd(&words("AI.SCRIPTRUN s pre_process INPUTS x x OUTPUTS y")),
        err("Wrong number of inputs provided to function: pre_process")
    );
    assert_eq!(
        c.cmd(&words("AI.SCRIPTRUN s pre_process INPUTS x OUTPUTS y z")),
        err("Function returned unexpected number of outputs - pre_process")
    );
    assert_eq!(
        c.cmd(&words(
            "AI.SCRIPTRUN s pre_process INPUTS missing OUTPUTS y"
        )),
        err("ERR tensor key is empty or in a different shard")
    );
    assert_eq!(
        c.cmd(&["AI.SCRIPTEXECUTE", "s", "pre_process", "OUTPUTS", "1", "y"]),
        err("ERR KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command")
    );
    assert_eq!(
        c.cmd(&["AI.SCRIPTEXECUTE", "s"]),
        err("ERR wrong number of arguments for 'AI.SCRIPTEXECUTE' command")
    );
    assert_eq!(
        c.cmd(&["AI.SCRIPTGET", "nothing"]),
        err("ERR script key is empty")
    );
    assert_eq!(
        c.cmd(&["AI.SCRIPTDEL", "nothing"]),
        err("ERR script key is empty")
    );
    assert!(c.cmd(&["AI.SCRIPTGET", "x"]).starts_with("-WRONGTYPE"));
    assert!(c
        .cmd(&["AI.SCRIPTRUN", "x", "f", "INPUTS", "x", "OUTPUTS", "y"])
        .starts_with("-WRONGTYPE"));
    assert!(c
        .cmd(&["AI.SCRIPTSET", "x", "CPU", "SOURCE", PROCESSING])
        .starts_with("-WRONGTYPE"));
    // Blocking commands are refused inside MULTI.
    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&words("AI.SCRIPTRUN s pre_process INPUTS x OUTPUTS y")),
        "+QUEUED\r\n"
    );
    assert_eq!(
        c.cmd(&["EXEC"]),
        "*1\r\n-ERR Cannot run RedisAI command within a transaction or a LUA script\r\n"
    );
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn a_missing_shim_is_a_clear_error() {
    let server = RedisServer::options()
        .with_module()
        .module_args(["BACKENDSPATH", "/nonexistent"])
        .start();
    let mut c = Raw::new(&server);
    for r in [
        c.cmd(&["AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", "x"]),
        c.cmd(&["AI.SCRIPTSET", "s", "CPU", "SOURCE", PROCESSING]),
    ] {
        assert!(
            r.starts_with("-ERR Could not load backend TORCH: the TORCH backend is not available in this build"),
            "{r}"
        );
    }
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
}

/// Stores a script with entry points, one from SCRIPTSET and a TORCH model; returns the model.
fn populate(c: &mut Raw, shim: &Shim) -> Vec<u8> {
    assert_eq!(scriptstore(c, "se", &ENTRY_POINTS, ENTRY), "+OK\r\n");
    assert_eq!(
        c.cmd(&[
            "AI.SCRIPTSET",
            "sp",
            "CPU",
            "TAG",
            "t1",
            "SOURCE",
            PROCESSING
        ]),
        "+OK\r\n"
    );
    let lin = linear(shim, &mut Rng(1));
    assert_eq!(store_model(c, "m", &lin), "+OK\r\n");
    set_f32(c, "a", &[2], &[1.0, 2.0]);
    lin
}

fn check(c: &mut Raw, shim: &Shim, lin: &[u8]) {
    assert_eq!(c.cmd(&["TYPE", "se"]), "+AI_SCRIPT\r\n");
    assert_eq!(c.cmd(&["AI.SCRIPTGET", "sp", "SOURCE"]), bulk(PROCESSING));
    assert!(c
        .cmd(&["AI.SCRIPTGET", "sp", "META"])
        .contains("$3\r\ntag\r\n$2\r\nt1\r\n"));
    assert!(c
        .cmd(&["AI.SCRIPTGET", "se", "META"])
        .contains("*6\r\n$3\r\nadd\r\n"));
    assert_eq!(
        c.cmd(&words("AI.SCRIPTEXECUTE se add INPUTS 2 a a OUTPUTS 1 o")),
        "+OK\r\n"
    );
    assert_eq!(get_f32(c, "o"), [2.0, 4.0]);
    assert_eq!(
        c.cmd(&words("AI.SCRIPTRUN sp pre_process INPUTS a OUTPUTS p")),
        "+OK\r\n"
    );
    assert_eq!(get_f32(c, "p"), [1.0 / 255.0, 2.0 / 255.0]);
    assert_eq!(
        bulk_payload(&c.cmd_bytes(&[b"AI.MODELGET", b"m", b"BLOB"])),
        lin
    );
    let x = [0.5f32, -1.0, 2.0];
    set_f32(c, "x", &[1, 3], &x);
    assert_eq!(
        c.cmd(&words("AI.MODELEXECUTE m INPUTS 1 x OUTPUTS 1 y")),
        "+OK\r\n"
    );
    assert_close(
        &get_f32(c, "y"),
        &shim.run_model(lin, &[(&[1, 3], &x)])[0].1,
    );
    assert!(c.cmd(&["AI.INFO", "se"]).contains("$6\r\nSCRIPT\r\n"));
}

#[test]
fn scripts_and_torch_models_persist() {
    let shim = Shim::open();
    // DEBUG RELOAD, COPY, then SAVE and a restart.
    let mut server = RedisServer::options().with_backends().start();
    let _keep = server.keep_dir();
    let dir = server.dir.clone();
    let mut c = Raw::new(&server);
    let lin = populate(&mut c, &shim);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    check(&mut c, &shim, &lin);
    assert_eq!(c.cmd(&["COPY", "sp", "sp2"]), ":1\r\n");
    assert_eq!(c.cmd(&["AI.SCRIPTGET", "sp2", "SOURCE"]), bulk(PROCESSING));
    assert!(c.cmd(&["AI.INFO", "sp2"]).contains("$3\r\nsp2\r\n"));
    assert_eq!(c.cmd(&["SAVE"]), "+OK\r\n");
    server.shutdown(false);
    let server = RedisServer::options().with_backends().dir(&dir).start();
    let mut c = Raw::new(&server);
    check(&mut c, &shim, &lin);

    // AOF rewrite: AI.SCRIPTSTORE for scripts with entry points, AI.SCRIPTSET for the others.
    let mut server = RedisServer::options().with_backends().args(AOF).start();
    let _keep = server.keep_dir();
    let dir = server.dir.clone();
    let mut c = Raw::new(&server);
    let lin = populate(&mut c, &shim);
    let base = rewrite_aof(&mut c, &dir);
    let text = String::from_utf8_lossy(&base);
    assert_eq!(text.matches("AI.SCRIPTSTORE").count(), 1, "{text}");
    assert_eq!(text.matches("AI.SCRIPTSET").count(), 1);
    assert!(text.contains("$12\r\nENTRY_POINTS\r\n$1\r\n6\r\n$3\r\nadd\r\n"));
    server.shutdown(false);
    let server = RedisServer::options()
        .with_backends()
        .args(AOF)
        .dir(&dir)
        .start();
    let mut c = Raw::new(&server);
    check(&mut c, &shim, &lin);
}
