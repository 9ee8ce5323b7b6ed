//! Dataset benchmark, on a 3-shard cluster and on a standalone server (real `redis-server` processes with the
//! module): `put_dataset` and `get_dataset` of a dataset of 10 tensors × 1 MiB and 20 metadata fields, and
//! `get_datasets_from_list` of 64 small datasets, against the same commands sent raw and pipelined by the plain
//! `redis` crate to the same servers in the same run (per node: one pipeline per round trip, nodes in parallel,
//! as the client does). Times are medians; "peak heap" is the most heap memory (counting allocator) that the
//! operation had live beyond what was live before it, and includes the result it returns.
//!
//! Run with `make bench-datasets` (or `cargo bench -p smartredis --bench datasets`). `SR_BENCH_RUNS` sets the
//! number of timed runs per operation (default 30).

use std::alloc::{GlobalAlloc, Layout, System};
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

/// Runs `op` `warmup + runs` times; returns the median time and the largest peak heap above the heap live
/// before each run.
fn measure<T>(runs: usize, mut op: impl FnMut() -> T) -> (Duration, usize) {
    for _ in 0..3 {
        drop(op());
    }
    let mut times = Vec::with_capacity(runs);
    let mut peak = 0;
    for _ in 0..runs {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let t = Instant::now();
        let out = op();
        times.push(t.elapsed());
        peak = peak.max(PEAK.load(Ordering::Relaxed).saturating_sub(before));
        drop(out);
    }
    times.sort();
    (times[times.len() / 2], peak)
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

/// One row of the table.
fn row(op: &str, ours: (Duration, usize), raw: (Duration, usize), budget: Option<usize>) {
    let ratio = ours.0.as_secs_f64() / raw.0.as_secs_f64();
    let verdict = if ratio <= 1.20 { "ok" } else { "MISSED" };
    let mem = match budget {
        Some(b) => format!(
            "{:.1} MiB (budget {:.1} MiB: {})",
            ours.1 as f64 / MIB,
            b as f64 / MIB,
            if ours.1 <= b { "ok" } else { "MISSED" }
        ),
        None => format!("{:.2} MiB", ours.1 as f64 / MIB),
    };
    println!(
        "| {op} | {:.2} ms | {:.2} ms | {ratio:.2}x ({verdict}) | {mem} | {:.1} MiB |",
        ours.0.as_secs_f64() * 1e3,
        raw.0.as_secs_f64() * 1e3,
        raw.1 as f64 / MIB
    );
}

/// put_dataset and get_dataset of the big dataset, ours and raw, on `ssdb`.
fn big(topology: &str, client: &mut Client, raw: &mut Raw, runs: usize) {
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

    let ours_put = measure(runs, || client.put_dataset(&ds).expect("put_dataset"));
    let raw_put = measure(runs, || raw.put_dataset(&base, &fields, &bytes));
    row(
        &format!("put_dataset, 10 × 1 MiB + 20 fields ({topology})"),
        ours_put,
        raw_put,
        Some(budget),
    );
    let ours_get = measure(runs, || client.get_dataset(&name).expect("get_dataset"));
    let raw_get = measure(runs, || raw.get_dataset(&base, &names));
    row(
        &format!("get_dataset, 10 × 1 MiB + 20 fields ({topology})"),
        ours_get,
        raw_get,
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
        "Medians of {runs} runs. Peak heap: beyond what was live before the call, result included."
    );
    println!();
    println!("| op | ours | raw pipelined (redis crate) | ratio (target ≤ 1.20x) | ours: peak heap | raw: peak heap |");
    println!("|---|---:|---:|---:|---:|---:|");

    let cluster = RedisCluster::with_module(3);
    let ports: Vec<u16> = cluster.nodes.iter().map(|n| n.port).collect();
    let urls: Vec<String> = cluster.nodes.iter().map(|n| n.url()).collect();
    let mut ours = client(&cluster.nodes[0].addr(), true);
    let mut raw = Raw::cluster(&urls, &ports);
    let profile_list = std::env::var("SR_BENCH_PROFILE_LIST").is_ok();
    if !profile_list {
        big("3 shards", &mut ours, &mut raw, runs);
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
    let ours_list = measure(runs, || {
        ours.get_datasets_from_list("bench_list")
            .expect("get_datasets_from_list")
    });
    let raw_list = measure(runs, || raw.get_list("bench_list", "x"));
    row(
        "get_datasets_from_list, 64 small datasets (3 shards)",
        ours_list,
        raw_list,
        None,
    );
    drop((ours, raw, cluster));

    let server = RedisServer::with_module();
    let mut ours = client(&server.addr(), false);
    let mut raw = Raw::standalone(&server.url());
    big("standalone", &mut ours, &mut raw, runs);

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
