//! Regressions from fuzzing and adversarial inputs (`make fuzz`, SECURITY.md): each input that once crashed,
//! hung or allocated out of proportion to its size, replayed against the code that reads it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;
use std::os::unix::net::UnixStream;

use smartredis::transport::resp::{BufStream, ReplyError, Stream};

/// The system allocator, counting the bytes each thread holds and their peak, so that a test can bound what one
/// parse costs.
struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is passed on to `System` unchanged; the counters are plain thread-local cells.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `System.alloc`, with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let _ = LIVE.try_with(|live| {
                live.set(live.get() + layout.size());
                let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
            });
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: `p` came from `alloc` with this layout.
        unsafe { System.dealloc(p, layout) };
        let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(layout.size())));
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The most this thread held at once while `f` ran, beyond what it held before.
fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = f();
    (r, PEAK.with(Cell::get) - base)
}

/// A reply stream that yields `bytes`, then ends.
fn replies(bytes: &[u8]) -> BufStream {
    let (mut server, client) = UnixStream::pair().unwrap();
    server.write_all(bytes).unwrap();
    BufStream::new(Stream::Unix(client))
}

/// Arrays nested 128 deep, each claiming 2^31 elements, from 1.7 KB: each level once reserved room for 65536
/// elements (3.7 MB), about 470 MB in all. Now an array reserves room for a few and grows as they are read.
#[test]
fn nested_arrays_with_huge_claimed_lengths_reserve_little() {
    let deep = b"*2147483647\r\n".repeat(128);
    let mut s = replies(&deep);
    let (r, peak) = peak_during(|| s.value());
    assert!(matches!(r, Err(ReplyError::Io(_))), "{r:?}");
    assert!(
        peak < 256 << 10,
        "{peak} bytes for {} bytes of reply",
        deep.len()
    );
    // One level more is refused as too deep, also cheaply.
    let mut s = replies(&b"*2147483647\r\n".repeat(129));
    let (r, peak) = peak_during(|| s.value());
    assert!(
        matches!(&r, Err(ReplyError::Protocol(m)) if m.contains("nested deeper")),
        "{r:?}"
    );
    assert!(peak < 256 << 10, "{peak}");
}

/// A bulk string claiming 2 GiB is grown as its bytes arrive: a short one costs at most the first 1 MiB step.
#[test]
fn a_bulk_string_with_a_huge_claimed_length_reserves_little() {
    let mut s = replies(b"$2147483647\r\nabc");
    let (r, peak) = peak_during(|| s.value());
    assert!(matches!(r, Err(ReplyError::Io(_))), "{r:?}");
    assert!(peak <= (1 << 20) + (64 << 10), "{peak}");
}

/// Well-formed nested replies still parse (the reservation only changes capacity).
#[test]
fn nested_replies_still_parse() {
    let mut s = replies(b"*2\r\n*3\r\n:1\r\n+\r\n$1\r\na\r\n*0\r\n");
    use redis::Value::{Array, BulkString, Int, SimpleString};
    assert_eq!(
        s.value().unwrap(),
        Array(vec![
            Array(vec![
                Int(1),
                SimpleString(String::new()),
                BulkString(b"a".to_vec())
            ]),
            Array(vec![]),
        ])
    );
}
