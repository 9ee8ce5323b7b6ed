//! Run statistics per model key (`AI.INFO`; RedisAI `src/redis_ai_objects/stats.c`).
//!
//! A registry maps each key to the statistics of the model stored there. Storing a model replaces the entry;
//! deleting or overwriting the key removes it (only if it is still that model's entry).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::ModelMeta;

/// Counters of one model (or script).
pub struct Stats {
    /// The key.
    pub key: Vec<u8>,
    /// `MODEL` or `SCRIPT`.
    pub kind: &'static str,
    /// Backend name.
    pub backend: &'static str,
    /// Device as stored.
    pub device: String,
    /// Tag.
    pub tag: Vec<u8>,
    /// Sum of run times in µs.
    pub duration_us: AtomicU64,
    /// Sum of dim 0 of output 0 over successful runs.
    pub samples: AtomicI64,
    /// Finished runs, errors included.
    pub calls: AtomicU64,
    /// Failed runs.
    pub errors: AtomicU64,
}

impl Stats {
    /// Zeroed counters.
    pub fn new(key: &[u8], kind: &'static str, meta: &ModelMeta) -> Stats {
        Stats {
            key: key.to_vec(),
            kind,
            backend: meta.backend.name(),
            device: meta.device.clone(),
            tag: meta.tag.clone(),
            duration_us: AtomicU64::new(0),
            samples: AtomicI64::new(0),
            calls: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        }
    }

    /// Zeroed counters of a script (backend TORCH; `samples` stays −1, as RedisAI reports for scripts).
    pub fn script(key: &[u8], device: &str, tag: &[u8]) -> Stats {
        Stats {
            key: key.to_vec(),
            kind: "SCRIPT",
            backend: smartredis_protocol::Backend::Torch.name(),
            device: device.to_string(),
            tag: tag.to_vec(),
            duration_us: AtomicU64::new(0),
            samples: AtomicI64::new(-1),
            calls: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        }
    }

    /// Records one finished script run: its duration and whether it failed.
    pub fn record_script(&self, duration_us: u64, ok: bool) {
        self.duration_us.fetch_add(duration_us, Ordering::Relaxed);
        self.calls.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records one finished run: its duration, and on success the batch size it produced.
    pub fn record(&self, duration_us: u64, samples: Option<i64>) {
        self.duration_us.fetch_add(duration_us, Ordering::Relaxed);
        self.calls.fetch_add(1, Ordering::Relaxed);
        match samples {
            Some(n) => {
                self.samples.fetch_add(n, Ordering::Relaxed);
            }
            None => {
                self.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// `AI.INFO ... RESETSTAT`.
    pub fn reset(&self) {
        self.duration_us.store(0, Ordering::Relaxed);
        let samples = if self.kind == "SCRIPT" { -1 } else { 0 };
        self.samples.store(samples, Ordering::Relaxed);
        self.calls.store(0, Ordering::Relaxed);
        self.errors.store(0, Ordering::Relaxed);
    }
}

static REGISTRY: Mutex<Option<HashMap<Vec<u8>, Arc<Stats>>>> = Mutex::new(None);

fn with<T>(f: impl FnOnce(&mut HashMap<Vec<u8>, Arc<Stats>>) -> T) -> T {
    let mut g = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    f(g.get_or_insert_with(HashMap::new))
}

/// Makes `s` the statistics of its key, replacing any previous entry.
pub fn register(s: &Arc<Stats>) {
    with(|m| m.insert(s.key.clone(), s.clone()));
}

/// Removes `s` if it is still its key's entry.
pub fn unregister(s: &Arc<Stats>) {
    with(|m| {
        if m.get(&s.key).is_some_and(|cur| Arc::ptr_eq(cur, s)) {
            m.remove(&s.key);
        }
    });
}

/// The statistics of a key.
pub fn lookup(key: &[u8]) -> Option<Arc<Stats>> {
    with(|m| m.get(key).cloned())
}

/// `(key, tag)` of every registered entry of `kind` (`MODEL` or `SCRIPT`), sorted by key (`AI._MODELSCAN`).
pub fn list(kind: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut v: Vec<(Vec<u8>, Vec<u8>)> = with(|m| {
        m.values()
            .filter(|s| s.kind == kind)
            .map(|s| (s.key.clone(), s.tag.clone()))
            .collect()
    });
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use smartredis_protocol::Backend;

    fn meta() -> ModelMeta {
        ModelMeta {
            backend: Backend::Onnx,
            device: "CPU".into(),
            tag: b"t".to_vec(),
            batch_size: 0,
            min_batch_size: 0,
            min_batch_timeout: 0,
            inputs: vec![],
            outputs: vec![],
        }
    }

    #[test]
    fn replace_and_remove() {
        let a = Arc::new(Stats::new(b"stats-k", "MODEL", &meta()));
        let b = Arc::new(Stats::new(b"stats-k", "MODEL", &meta()));
        register(&a);
        register(&b);
        unregister(&a); // a was replaced: b stays
        assert!(Arc::ptr_eq(&lookup(b"stats-k").unwrap(), &b));
        b.record(10, Some(3));
        b.record(5, None);
        assert_eq!(b.calls.load(Ordering::Relaxed), 2);
        assert_eq!(b.errors.load(Ordering::Relaxed), 1);
        assert_eq!(b.samples.load(Ordering::Relaxed), 3);
        assert_eq!(b.duration_us.load(Ordering::Relaxed), 15);
        b.reset();
        assert_eq!(b.calls.load(Ordering::Relaxed), 0);
        unregister(&b);
        assert!(lookup(b"stats-k").is_none());
    }
}
