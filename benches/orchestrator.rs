//! Orchestrator benchmark: time from `start` to ready and from `stop` to every process gone, for 1, 3 and 16
//! shards (median of several runs, real `redis-server` processes with the module loaded).
//!
//! Run with `make bench-orchestrator` (or `cargo bench -p smartredis --bench orchestrator`). `SR_BENCH_RUNS`
//! overrides the number of runs per size (default 5).

use std::time::{Duration, Instant};

use smartredis::orchestrator::{state::pid_is_alive, Orchestrator, OrchestratorOptions};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let runs: usize = std::env::var("SR_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let sizes = [(1usize, None), (3, Some(1.0)), (16, Some(3.0))];
    println!("| shards | start → ready (median) | min … max | target | stop → all gone (median) | min … max | target |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for (shards, target) in sizes {
        let (mut starts, mut stops) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let dir = match tempfile::Builder::new().prefix("sr-bench-").tempdir() {
                Ok(d) => d,
                Err(e) => return eprintln!("tempdir: {e}"),
            };
            let t = Instant::now();
            let mut orc = match Orchestrator::launch(
                OrchestratorOptions::new().shards(shards).dir(dir.path()),
            ) {
                Ok(o) => o,
                Err(e) => return eprintln!("start of {shards} shard(s) failed: {e}"),
            };
            starts.push(t.elapsed());
            let pids = orc.pids();
            let t = Instant::now();
            if let Err(e) = orc.stop() {
                return eprintln!("stop failed: {e}");
            }
            stops.push(t.elapsed());
            assert!(
                pids.iter().all(|&p| !pid_is_alive(p)),
                "stop returned with processes alive"
            );
        }
        let range = |v: &[Duration]| {
            let (a, b) = (
                v.iter().min().copied().unwrap_or_default(),
                v.iter().max().copied().unwrap_or_default(),
            );
            format!("{} … {}", ms(a), ms(b))
        };
        println!(
            "| {shards} | {} | {} | {} | {} | {} | ≤ 1000 ms |",
            ms(median(starts.clone())),
            range(&starts),
            target
                .map(|t: f64| format!("≤ {:.0} ms", t * 1000.0))
                .unwrap_or_else(|| "—".into()),
            ms(median(stops.clone())),
            range(&stops),
        );
    }
}
