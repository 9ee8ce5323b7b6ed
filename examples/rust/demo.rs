//! The main demo (`make demo`): start a local store with the launcher, stream a tensor in and out with the
//! client, and stop the store.
//!
//! Usage: `demo [SHARDS]` — 1 shard (standalone, the default) or a Redis Cluster of SHARDS shards.

use std::error::Error;
use std::time::Instant;

use smartredis::orchestrator::{db_type_name, Orchestrator, OrchestratorOptions};
use smartredis::tensor::{Layout, TensorMut, TensorRef};

fn main() -> Result<(), Box<dyn Error>> {
    let shards: usize = match std::env::args().nth(1) {
        Some(n) => n
            .parse()
            .map_err(|_| format!("SHARDS must be a number, not {n:?}"))?,
        None => 1,
    };
    let dir = tempfile::Builder::new()
        .prefix("smartredis-demo-")
        .tempdir()?;

    let started = Instant::now();
    let mut store =
        Orchestrator::launch(OrchestratorOptions::new().shards(shards).dir(dir.path()))?;
    println!(
        "store ready in {:.0?}: {} shard(s), {} at {}",
        started.elapsed(),
        shards,
        db_type_name(store.db_type()),
        store.address()
    );

    let mut client = store.client("demo")?;
    let dims = [2, 3, 4];
    let field: Vec<f64> = (0..24).map(|i| f64::from(i) * 0.5).collect();
    client.put_tensor("field", &TensorRef::from_slice(&dims, &field)?)?;
    println!("put_tensor  field  DOUBLE {dims:?}");

    let fetched = client.get_tensor("field", Layout::Contiguous)?;
    println!(
        "get_tensor  field  {} {:?}",
        fetched.dtype.wire_name(),
        fetched.dims
    );
    for (i, plane) in fetched.data.as_slice::<f64>().chunks(12).enumerate() {
        for row in plane.chunks(4) {
            println!("  [{i}] {row:?}");
        }
    }

    let mut back = vec![0.0f64; 24];
    client.unpack_tensor("field", TensorMut::from_slice(&dims, &mut back)?)?;
    assert_eq!(back, field, "unpacked data differs from what was put");
    println!("unpack_tensor  field  matches what was put");

    drop(client);
    let stopping = Instant::now();
    store.stop()?;
    println!("store stopped in {:.0?}", stopping.elapsed());
    Ok(())
}
