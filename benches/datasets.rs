//! Dataset benchmark, on a 3-shard cluster and on a standalone server (real `redis-server` processes with the
//! module): `put_dataset` and `get_dataset` of a dataset of 10 tensors × 1 MiB and 20 metadata fields, and
//! `get_datasets_from_list` of 64 small datasets, against the same commands sent raw and pipelined by the plain
//! `redis` crate, and by a hand-rolled RESP client (the leanest plain client: one vectored write per pipeline,
//! payloads sent from where they are), to the same servers in the same run (per node: one pipeline per round
//! trip, nodes in parallel, as the client does). Times are medians; "peak heap" is the most heap memory (counting allocator) that the
//! operation had live beyond what was live before it, and includes the result it returns.
//!
//! Run with `make bench-datasets` (or `cargo bench -p smartredis --bench datasets`). `SR_BENCH_RUNS` sets the
//! number of timed runs per operation (default 30).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader, IoSlice, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use redis::Value;
use smartredis::cluster::Slot;
use smartredis::dataset::wire;
use smartredis::tensor::TensorRef;
use smartredis::{Client, ConfigOptions, DataSet};
use testkit::{RedisCluster, RedisServer};

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                let now = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                    - layout.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const TENSORS: usize = 10;
const TENSOR_BYTES: usize = 1 << 20;
const FIELDS: usize = 20;
const LIST_ITEMS: usize = 64;
const MIB: f64 = (1 << 20) as f64;

/// What [`measure`] finds for one client: median time, largest peak heap above what was live before a run, and
/// the mean CPU time of the process (all threads) per run.
#[derive(Clone, Copy, Default)]
struct Stats {
    time: Duration,
    heap: usize,
    cpu: Duration,
}

/// Runs the operations in turn (ours, the redis crate's, the hand-rolled one), 3 warm-up rounds then `runs`
/// measured rounds, so that a change of load on the machine hits all of them alike.
fn measure(runs: usize, ops: &mut [&mut dyn FnMut()]) -> Vec<Stats> {
    for _ in 0..3 {
        for op in ops.iter_mut() {
            op();
        }
    }
    let mut times = vec![Vec::with_capacity(runs); ops.len()];
    let mut stats = vec![Stats::default(); ops.len()];
    for _ in 0..runs {
        for (i, op) in ops.iter_mut().enumerate() {
            let before = LIVE.load(Ordering::Relaxed);
            PEAK.store(before, Ordering::Relaxed);
            let cpu = cpu_time();
            let t = Instant::now();
            op();
            times[i].push(t.elapsed());
            stats[i].cpu += cpu_time() - cpu;
            stats[i].heap = stats[i]
                .heap
                .max(PEAK.load(Ordering::Relaxed).saturating_sub(before));
        }
    }
    for (s, mut t) in stats.iter_mut().zip(times) {
        t.sort();
        s.time = t[t.len() / 2];
        s.cpu /= runs as u32;
    }
    stats
}

/// User + system CPU time of this process (all threads).
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes one rusage struct.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// The big dataset: 10 DOUBLE tensors of 1 MiB and 20 metadata fields (scalars of each type and strings).
fn big_dataset(name: &str) -> DataSet {
    let mut ds = DataSet::new(name).expect("dataset");
    let data: Vec<f64> = (0..TENSOR_BYTES / 8).map(|i| i as f64 * 0.5).collect();
    for t in 0..TENSORS {
        let view = TensorRef::from_slice(&[TENSOR_BYTES / 8], &data).expect("tensor");
        ds.add_tensor(&format!("tensor_{t}"), &view)
            .expect("add_tensor");
    }
    for f in 0..FIELDS {
        let name = format!("field_{f}");
        match f % 4 {
            0 => ds.add_meta_scalar(&name, f as f64 * 1.25),
            1 => ds.add_meta_scalar(&name, f as i64 - 7),
            2 => ds.add_meta_scalar(&name, f as u32),
            _ => ds.add_meta_string(&name, format!("value of field {f}").as_bytes()),
        }
        .expect("metadata");
    }
    ds
}

/// A small list item: one 16-element DOUBLE tensor and two metadata fields.
fn small_dataset(i: usize) -> DataSet {
    let mut ds = DataSet::new(&format!("item_{i}")).expect("dataset");
    let data: Vec<f64> = (0..16).map(|j| (i * 16 + j) as f64).collect();
    ds.add_tensor("x", &TensorRef::from_slice(&[16], &data).expect("tensor"))
        .expect("add_tensor");
    ds.add_meta_scalar("index", i as i64).expect("metadata");
    ds.add_meta_string("label", format!("item {i}").as_bytes())
        .expect("metadata");
    ds
}

fn client(ssdb: &str, cluster: bool) -> Client {
    let cfg = ConfigOptions::from_environment("").expect("config");
    cfg.override_string_option("SSDB", ssdb).expect("SSDB");
    cfg.override_string_option(
        "SR_DB_TYPE",
        if cluster { "Clustered" } else { "Standalone" },
    )
    .expect("SR_DB_TYPE");
    cfg.override_string_option("SSKEYIN", "").expect("SSKEYIN");
    cfg.override_string_option("SSKEYOUT", "")
        .expect("SSKEYOUT");
    Client::new(Some(&cfg), "bench").expect("client")
}

/// The plain Redis client: one connection per primary, slots mapped from `CLUSTER SLOTS` (or one server).
struct Raw {
    conns: Vec<redis::Connection>,
    /// For each slot, the index of its node in `conns`.
    slot_node: Vec<usize>,
}

impl Raw {
    fn standalone(url: &str) -> Raw {
        let con = redis::Client::open(url)
            .and_then(|c| c.get_connection())
            .expect("connect");
        Raw {
            conns: vec![con],
            slot_node: vec![0; usize::from(smartredis::cluster::SLOT_COUNT)],
        }
    }

    fn cluster(urls: &[String], ports: &[u16]) -> Raw {
        let mut conns: Vec<redis::Connection> = urls
            .iter()
            .map(|u| {
                redis::Client::open(u.as_str())
                    .and_then(|c| c.get_connection())
                    .expect("connect")
            })
            .collect();
        let slots: Vec<(i64, i64, Vec<Value>)> = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query(&mut conns[0])
            .expect("CLUSTER SLOTS");
        let mut slot_node = vec![0; usize::from(smartredis::cluster::SLOT_COUNT)];
        for (lo, hi, primary) in slots {
            let port: i64 = redis::from_redis_value(primary[1].clone()).expect("port");
            let node = ports
                .iter()
                .position(|p| i64::from(*p) == port)
                .expect("known node");
            for s in lo..=hi {
                slot_node[s as usize] = node;
            }
        }
        Raw { conns, slot_node }
    }

    fn node_of(&self, key: &str) -> usize {
        self.slot_node[usize::from(Slot::for_key(key.as_bytes()).get())]
    }

    /// put_dataset's commands: DEL meta, HMSET meta fields, AI.TENSORSET per tensor, HSET meta .COMPLETE 1.
    fn put_dataset(
        &mut self,
        base: &str,
        fields: &[(String, Vec<u8>)],
        tensors: &[(String, &[u8])],
    ) {
        let meta = wire::meta_key(base);
        let mut p = redis::pipe();
        p.cmd("DEL").arg(&meta).ignore();
        let hmset = p.cmd("HMSET").arg(&meta);
        for (f, v) in fields {
            hmset.arg(f).arg(v);
        }
        hmset.ignore();
        for (name, bytes) in tensors {
            p.cmd("AI.TENSORSET")
                .arg(wire::tensor_key(base, name))
                .arg("DOUBLE")
                .arg(bytes.len() / 8)
                .arg("BLOB")
                .arg(*bytes)
                .ignore();
        }
        p.cmd("HSET").arg(&meta).arg(".COMPLETE").arg("1").ignore();
        let node = self.node_of(&meta);
        p.query::<()>(&mut self.conns[node])
            .expect("raw put_dataset");
    }

    /// get_dataset's commands: HGETALL meta, then AI.TENSORGET key META BLOB per tensor in one pipeline.
    fn get_dataset(&mut self, base: &str, tensors: &[String]) -> (Value, Vec<Value>) {
        let meta = wire::meta_key(base);
        let node = self.node_of(&meta);
        let con = &mut self.conns[node];
        let fields: Value = redis::cmd("HGETALL")
            .arg(&meta)
            .query(con)
            .expect("HGETALL");
        let mut p = redis::pipe();
        for t in tensors {
            p.cmd("AI.TENSORGET")
                .arg(wire::tensor_key(base, t))
                .arg("META")
                .arg("BLOB");
        }
        (fields, p.query(con).expect("AI.TENSORGET"))
    }

    /// get_datasets_from_list's commands: LRANGE, then per node (in parallel) one pipeline of HGETALL and one of
    /// AI.TENSORGET (the tensor names are known to the caller here).
    fn get_list(&mut self, list: &str, tensor: &str) -> Vec<(Value, Value)> {
        let node = self.node_of(list);
        let elems: Vec<String> = redis::cmd("LRANGE")
            .arg(list)
            .arg(0)
            .arg(-1)
            .query(&mut self.conns[node])
            .expect("LRANGE");
        let mut groups: Vec<Vec<(usize, &str)>> = vec![Vec::new(); self.conns.len()];
        for (i, e) in elems.iter().enumerate() {
            groups[self.node_of(&wire::meta_key(e))].push((i, e));
        }
        let mut out: Vec<Option<(Value, Value)>> = vec![None; elems.len()];
        let per_node: Vec<Vec<(usize, (Value, Value))>> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .conns
                .iter_mut()
                .zip(&groups)
                .map(|(con, group)| {
                    s.spawn(move || {
                        if group.is_empty() {
                            return Vec::new();
                        }
                        let mut p = redis::pipe();
                        for (_, e) in group {
                            p.cmd("HGETALL").arg(wire::meta_key(e));
                        }
                        let metas: Vec<Value> = p.query(con).expect("HGETALL");
                        let mut p = redis::pipe();
                        for (_, e) in group {
                            p.cmd("AI.TENSORGET")
                                .arg(wire::tensor_key(e, tensor))
                                .arg("META")
                                .arg("BLOB");
                        }
                        let blobs: Vec<Value> = p.query(con).expect("AI.TENSORGET");
                        group
                            .iter()
                            .map(|(i, _)| *i)
                            .zip(metas.into_iter().zip(blobs))
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("raw worker"))
                .collect()
        });
        for (i, v) in per_node.into_iter().flatten() {
            out[i] = Some(v);
        }
        out.into_iter()
            .map(|v| v.expect("every item fetched"))
            .collect()
    }
}

/// A reply as the hand-rolled client reads it.
#[allow(dead_code)] // the values are produced (and dropped) as a client would, not inspected
enum Resp {
    Line(Vec<u8>),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Resp>),
}

/// The leanest plain client: RESP written by hand (one vectored write per pipeline, payloads from where they
/// are), replies read through a 64 KiB buffer with blobs read straight into their own allocation.
struct Lean {
    nodes: Vec<(TcpStream, BufReader<TcpStream>)>,
    slot_node: Vec<usize>,
}

fn line(r: &mut BufReader<TcpStream>) -> Vec<u8> {
    let mut l = Vec::new();
    r.read_until(b'\n', &mut l).expect("read reply");
    l.truncate(l.len().saturating_sub(2));
    l
}

fn int(b: &[u8]) -> i64 {
    std::str::from_utf8(b)
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("integer")
}

fn read_resp(r: &mut BufReader<TcpStream>) -> Resp {
    let l = line(r);
    match l.first() {
        Some(b'+') => Resp::Line(l[1..].to_vec()),
        Some(b':') => Resp::Int(int(&l[1..])),
        Some(b'$') => match int(&l[1..]) {
            n if n < 0 => Resp::Bulk(None),
            n => {
                let mut b = vec![0u8; n as usize + 2];
                r.read_exact(&mut b).expect("read bulk");
                b.truncate(n as usize);
                Resp::Bulk(Some(b))
            }
        },
        Some(b'*') => Resp::Array((0..int(&l[1..]).max(0)).map(|_| read_resp(r)).collect()),
        _ => panic!("server error: {}", String::from_utf8_lossy(&l)),
    }
}

/// Appends a command of plain arguments.
fn cmd(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

fn write_all_vectored(s: &mut TcpStream, bufs: &[&[u8]]) {
    let mut slices: Vec<IoSlice<'_>> = bufs.iter().map(|b| IoSlice::new(b)).collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        let n = s.write_vectored(rest).expect("write");
        IoSlice::advance_slices(&mut rest, n);
    }
}

impl Lean {
    fn new(ports: &[u16], slot_node: Vec<usize>) -> Lean {
        let nodes = ports
            .iter()
            .map(|p| {
                let s = TcpStream::connect(("127.0.0.1", *p)).expect("connect");
                s.set_nodelay(true).expect("nodelay");
                let r = BufReader::with_capacity(64 * 1024, s.try_clone().expect("clone"));
                (s, r)
            })
            .collect();
        Lean { nodes, slot_node }
    }

    fn node_of(&self, key: &str) -> usize {
        self.slot_node[usize::from(Slot::for_key(key.as_bytes()).get())]
    }

    fn put_dataset(
        &mut self,
        base: &str,
        fields: &[(String, Vec<u8>)],
        tensors: &[(String, &[u8])],
    ) {
        let meta = wire::meta_key(base);
        let mut head = Vec::new();
        cmd(&mut head, &[b"DEL", meta.as_bytes()]);
        let mut hm: Vec<&[u8]> = vec![b"HMSET", meta.as_bytes()];
        for (f, v) in fields {
            hm.push(f.as_bytes());
            hm.push(v);
        }
        cmd(&mut head, &hm);
        // Each tensor: its header into `head`, then its payload from where it is.
        let mut cuts = Vec::new();
        for (name, bytes) in tensors {
            let key = wire::tensor_key(base, name);
            let n = (bytes.len() / 8).to_string();
            head.extend_from_slice(
                format!(
                    "*6\r\n$12\r\nAI.TENSORSET\r\n${}\r\n{key}\r\n$6\r\nDOUBLE\r\n${}\r\n{n}\r\n$4\r\nBLOB\r\n${}\r\n",
                    key.len(),
                    n.len(),
                    bytes.len()
                )
                .as_bytes(),
            );
            cuts.push((head.len(), *bytes));
            head.extend_from_slice(b"\r\n");
        }
        cmd(&mut head, &[b"HSET", meta.as_bytes(), b".COMPLETE", b"1"]);
        let mut bufs: Vec<&[u8]> = Vec::new();
        let mut start = 0;
        for (at, data) in &cuts {
            bufs.push(&head[start..*at]);
            bufs.push(data);
            start = *at;
        }
        bufs.push(&head[start..]);
        let node = self.node_of(&meta);
        let (w, r) = &mut self.nodes[node];
        write_all_vectored(w, &bufs);
        for _ in 0..tensors.len() + 3 {
            read_resp(r);
        }
    }

    fn get_dataset(&mut self, base: &str, tensors: &[String]) -> (Resp, Vec<Resp>) {
        let meta = wire::meta_key(base);
        let node = self.node_of(&meta);
        let (w, r) = &mut self.nodes[node];
        let mut out = Vec::new();
        cmd(&mut out, &[b"HGETALL", meta.as_bytes()]);
        w.write_all(&out).expect("write");
        let fields = read_resp(r);
        out.clear();
        for t in tensors {
            cmd(
                &mut out,
                &[
                    b"AI.TENSORGET",
                    wire::tensor_key(base, t).as_bytes(),
                    b"META",
                    b"BLOB",
                ],
            );
        }
        w.write_all(&out).expect("write");
        (fields, tensors.iter().map(|_| read_resp(r)).collect())
    }

    fn get_list(&mut self, list: &str, tensor: &str) -> Vec<(Resp, Resp)> {
        let node = self.node_of(list);
        let (w, r) = &mut self.nodes[node];
        let mut out = Vec::new();
        cmd(&mut out, &[b"LRANGE", list.as_bytes(), b"0", b"-1"]);
        w.write_all(&out).expect("write");
        let Resp::Array(items) = read_resp(r) else {
            panic!("LRANGE reply")
        };
        let elems: Vec<String> = items
            .into_iter()
            .map(|v| match v {
                Resp::Bulk(Some(b)) => String::from_utf8(b).expect("utf-8"),
                _ => panic!("list element"),
            })
            .collect();
        let mut groups: Vec<Vec<(usize, &str)>> = vec![Vec::new(); self.nodes.len()];
        for (i, e) in elems.iter().enumerate() {
            groups[self.node_of(&wire::meta_key(e))].push((i, e));
        }
        let per_node: Vec<Vec<(usize, (Resp, Resp))>> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .nodes
                .iter_mut()
                .zip(&groups)
                .map(|((w, r), group)| {
                    s.spawn(move || {
                        if group.is_empty() {
                            return Vec::new();
                        }
                        let mut out = Vec::new();
                        for (_, e) in group {
                            cmd(&mut out, &[b"HGETALL", wire::meta_key(e).as_bytes()]);
                        }
                        w.write_all(&out).expect("write");
                        let metas: Vec<Resp> = group.iter().map(|_| read_resp(r)).collect();
                        out.clear();
                        for (_, e) in group {
                            let key = wire::tensor_key(e, tensor);
                            cmd(
                                &mut out,
                                &[b"AI.TENSORGET", key.as_bytes(), b"META", b"BLOB"],
                            );
                        }
                        w.write_all(&out).expect("write");
                        let blobs: Vec<Resp> = group.iter().map(|_| read_resp(r)).collect();
                        group
                            .iter()
                            .map(|(i, _)| *i)
                            .zip(metas.into_iter().zip(blobs))
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("lean worker"))
                .collect()
        });
        let mut out: Vec<Option<(Resp, Resp)>> = elems.iter().map(|_| None).collect();
        for (i, v) in per_node.into_iter().flatten() {
            out[i] = Some(v);
        }
        out.into_iter()
            .map(|v| v.expect("every item fetched"))
            .collect()
    }
}

/// One row of the table: ours against the faster of the two plain clients.
fn row(op: &str, st: &[Stats], budget: Option<usize>) {
    let (ours, redis, lean) = (st[0], st[1], st[2]);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let best = if lean.time < redis.time { lean } else { redis };
    let ratio = ours.time.as_secs_f64() / best.time.as_secs_f64();
    let verdict = if ratio <= 1.20 { "ok" } else { "MISSED" };
    let mem = match budget {
        Some(b) => format!(
            "{:.1} MiB (budget {:.1}: {})",
            ours.heap as f64 / MIB,
            b as f64 / MIB,
            if ours.heap <= b { "ok" } else { "MISSED" }
        ),
        None => format!("{:.2} MiB", ours.heap as f64 / MIB),
    };
    println!(
        "| {op} | {:.2} ms | {:.2} ms | {:.2} ms | {ratio:.2}x ({verdict}) | {:.2} / {:.2} / {:.2} ms | {mem} | {:.1} / {:.1} MiB |",
        ms(ours.time),
        ms(redis.time),
        ms(lean.time),
        ms(ours.cpu),
        ms(redis.cpu),
        ms(lean.cpu),
        redis.heap as f64 / MIB,
        lean.heap as f64 / MIB
    );
}

/// put_dataset and get_dataset of the big dataset, ours and raw, on `ssdb`.
fn big(topology: &str, client: &mut Client, raw: &mut Raw, lean: &mut Lean, runs: usize) {
    let ds = big_dataset(&format!("big_{topology}"));
    let name = ds.name().to_string();
    let base = wire::base_key("", &name);
    let fields: Vec<(String, Vec<u8>)> = ds
        .serialized_fields()
        .into_iter()
        .map(|(f, v)| (f.to_string(), v))
        .collect();
    let names: Vec<String> = ds.tensor_names().into_iter().map(String::from).collect();
    let bytes: Vec<(String, &[u8])> = names
        .iter()
        .map(|n| (n.clone(), ds.tensor(n).expect("tensor").data.as_bytes()))
        .collect();
    let dataset_bytes = TENSORS * TENSOR_BYTES;
    let budget = dataset_bytes + (16 << 20);

    let put = measure(
        runs,
        &mut [
            &mut || client.put_dataset(&ds).expect("put_dataset"),
            &mut || raw.put_dataset(&base, &fields, &bytes),
            &mut || lean.put_dataset(&base, &fields, &bytes),
        ],
    );
    row(
        &format!("put_dataset, 10 × 1 MiB + 20 fields ({topology})"),
        &put,
        Some(budget),
    );
    let get = measure(
        runs,
        &mut [
            &mut || drop(client.get_dataset(&name).expect("get_dataset")),
            &mut || drop(raw.get_dataset(&base, &names)),
            &mut || drop(lean.get_dataset(&base, &names)),
        ],
    );
    row(
        &format!("get_dataset, 10 × 1 MiB + 20 fields ({topology})"),
        &get,
        Some(budget),
    );
}

fn main() {
    let runs: usize = std::env::var("SR_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
        .max(1);
    println!(
        "Medians of {runs} runs, the clients taking turns. CPU: of the whole process (all threads), mean per op. \
         Peak heap: beyond what was live before the call, result included."
    );
    println!();
    println!("| op | ours | raw: redis crate | raw: hand-rolled RESP | ours / faster raw (target ≤ 1.20x) | CPU per op (ours / redis / hand-rolled) | ours: peak heap | raw: peak heap (redis / hand-rolled) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");

    let cluster = RedisCluster::with_module(3);
    let ports: Vec<u16> = cluster.nodes.iter().map(|n| n.port).collect();
    let urls: Vec<String> = cluster.nodes.iter().map(|n| n.url()).collect();
    let mut ours = client(&cluster.nodes[0].addr(), true);
    let mut raw = Raw::cluster(&urls, &ports);
    let mut lean = Lean::new(&ports, raw.slot_node.clone());
    let profile_list = std::env::var("SR_BENCH_PROFILE_LIST").is_ok();
    if !profile_list {
        big("3 shards", &mut ours, &mut raw, &mut lean, runs);
    }

    for i in 0..LIST_ITEMS {
        let ds = small_dataset(i);
        ours.put_dataset(&ds).expect("put_dataset");
        ours.append_to_list("bench_list", &ds)
            .expect("append_to_list");
    }
    if profile_list {
        // For a profiler: only our side of the list operation, many times.
        for _ in 0..runs {
            drop(
                ours.get_datasets_from_list("bench_list")
                    .expect("get_datasets_from_list"),
            );
        }
        return;
    }
    let list = measure(
        runs,
        &mut [
            &mut || {
                drop(
                    ours.get_datasets_from_list("bench_list")
                        .expect("get_datasets_from_list"),
                )
            },
            &mut || drop(raw.get_list("bench_list", "x")),
            &mut || drop(lean.get_list("bench_list", "x")),
        ],
    );
    row(
        "get_datasets_from_list, 64 small datasets (3 shards)",
        &list,
        None,
    );
    drop((ours, raw, lean, cluster));

    let server = RedisServer::with_module();
    let mut ours = client(&server.addr(), false);
    let mut raw = Raw::standalone(&server.url());
    let mut lean = Lean::new(&[server.port], raw.slot_node.clone());
    big("standalone", &mut ours, &mut raw, &mut lean, runs);

    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
        })
        .unwrap_or_else(|| "?".into());
    println!();
    println!("Process VmHWM (both clients, source dataset included): {hwm} kB");
}
