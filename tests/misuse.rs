//! Misuse that must give a clear error, never corruption: one C client handle used from two threads at once, and
//! error texts that would otherwise quote a whole reply.

mod common;

use std::ffi::{c_void, CStr};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use smartredis::ffi::client as capi;
use smartredis::ffi::error::SRGetLastError;
use smartredis::transport::Route;
use smartredis::SRError;
use testkit::RedisServer;

fn last_error() -> String {
    // SAFETY: the library's thread-local, NUL-terminated last error.
    unsafe { CStr::from_ptr(SRGetLastError()) }
        .to_string_lossy()
        .into_owned()
}

/// A raw pointer that may cross threads (the point of the test).
#[derive(Clone, Copy)]
struct Shared(*mut c_void);
// SAFETY: the library itself must refuse concurrent use of the handle; that is what is tested.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    /// The pointer (a method, so that closures capture the whole `Shared`).
    fn get(self) -> *mut c_void {
        self.0
    }
}

#[test]
fn one_client_handle_from_two_threads_is_refused() {
    let server = RedisServer::with_module();
    let c = Shared(common::c_client(&server.addr()));
    let done = AtomicBool::new(false);
    let key = "never-there";
    let refused = std::thread::scope(|s| {
        // One thread polls for a missing tensor (40 × 50 ms: about 2 s inside one call).
        let poller = s.spawn(|| {
            loop {
                let mut exists = true;
                let rc =
                    capi::poll_tensor(c.get(), key.as_ptr().cast(), key.len(), 50, 40, &mut exists);
                if rc == SRError::SRNoError {
                    assert!(!exists);
                    break;
                }
                // It met the other thread's call: that is the error under test, not a failure; try again.
                assert!(
                    last_error().contains("in use by another thread"),
                    "{}",
                    last_error()
                );
            }
            done.store(true, Ordering::Release);
        });
        // The other thread calls on the same handle meanwhile: refused while the poll runs, never corrupted.
        let mut refused = 0;
        let bound = Instant::now() + Duration::from_secs(60);
        while !done.load(Ordering::Acquire) {
            assert!(Instant::now() < bound);
            let mut exists = true;
            match capi::tensor_exists(c.0, key.as_ptr().cast(), key.len(), &mut exists) {
                SRError::SRNoError => assert!(!exists),
                rc => {
                    assert_eq!(rc, SRError::SRRuntimeError);
                    assert_eq!(last_error(), "c_client: client in use by another thread");
                    refused += 1;
                }
            }
        }
        poller.join().unwrap();
        refused
    });
    assert!(
        refused > 0,
        "no call was refused while another thread used the client"
    );
    // Once the other thread is done, the handle works again from any thread.
    let mut exists = true;
    assert_eq!(
        capi::tensor_exists(c.0, key.as_ptr().cast(), key.len(), &mut exists),
        SRError::SRNoError
    );
    let mut h = c.0;
    assert_eq!(capi::DeleteCClient(&mut h), SRError::SRNoError);
}

#[test]
fn one_dataset_handle_from_two_threads_is_refused() {
    use smartredis::ffi::client_datasets::put_dataset;
    use smartredis::ffi::dataset as dapi;
    use smartredis::{SRMemoryLayout, SRTensorType};
    let server = RedisServer::with_module();
    let c = Shared(common::c_client(&server.addr()));
    let mut ds: *mut c_void = std::ptr::null_mut();
    assert_eq!(
        dapi::CDataSet(c"ds".as_ptr(), 2, &mut ds),
        SRError::SRNoError
    );
    // A 16 MiB tensor: each put keeps the dataset busy for a while.
    let mut data = vec![7u8; 16 << 20];
    let dims = [data.len()];
    assert_eq!(
        dapi::add_tensor(
            ds,
            c"t".as_ptr(),
            1,
            data.as_mut_ptr().cast(),
            dims.as_ptr(),
            1,
            SRTensorType::SRTensorTypeUint8 as _,
            SRMemoryLayout::SRMemLayoutContiguous as _,
        ),
        SRError::SRNoError
    );
    let ds = Shared(ds);
    let done = AtomicBool::new(false);
    let refused = std::thread::scope(|s| {
        let putter = s.spawn(|| {
            let mut puts = 0;
            while puts < 5 {
                match put_dataset(c.get(), ds.get()) {
                    SRError::SRNoError => puts += 1,
                    // It met the other thread's call: the error under test; try again.
                    _ => assert_eq!(last_error(), "dataset: dataset in use by another thread"),
                }
            }
            done.store(true, Ordering::Release);
        });
        let mut refused = 0;
        let bound = Instant::now() + Duration::from_secs(60);
        while !done.load(Ordering::Acquire) {
            assert!(Instant::now() < bound);
            let mut has = true;
            match dapi::sr_dataset_has_field(ds.get(), c"m".as_ptr(), 1, &mut has) {
                SRError::SRNoError => assert!(!has),
                rc => {
                    assert_eq!(rc, SRError::SRRuntimeError);
                    assert_eq!(last_error(), "dataset: dataset in use by another thread");
                    refused += 1;
                }
            }
        }
        putter.join().unwrap();
        refused
    });
    assert!(
        refused > 0,
        "no call was refused while another thread used the dataset"
    );
    let mut has = true;
    assert_eq!(
        dapi::sr_dataset_has_field(ds.get(), c"m".as_ptr(), 1, &mut has),
        SRError::SRNoError
    );
    let (mut h, mut cl) = (ds.get(), c.get());
    assert_eq!(dapi::DeallocateDataSet(&mut h), SRError::SRNoError);
    assert_eq!(capi::DeleteCClient(&mut cl), SRError::SRNoError);
}

#[test]
fn error_texts_quote_a_long_reply_only_in_part() {
    let server = RedisServer::with_module();
    let mut c = common::client(&server.addr(), "Standalone");
    // A 20 kB error reply, and a 20 kB reply where an integer was expected.
    let e = c
        .connection()
        .query(
            Route::Any,
            redis::cmd("EVAL")
                .arg("return redis.error_reply(string.rep('x', 20000))")
                .arg(0),
        )
        .unwrap_err();
    assert!(e.message().len() < 1024, "{} bytes", e.message().len());
    assert!(e.message().contains("xxxx"), "{e}");
    // A (fake) server answering AI.TENSORGET with a 20 kB string: the error quotes only its start.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    // Serves connection after connection (the client reconnects after an invalid reply); ends with the test.
    std::thread::spawn(move || loop {
        let (sock, _) = listener.accept().unwrap();
        let mut r = BufReader::new(sock.try_clone().unwrap());
        let mut w = sock;
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            let n: usize = line.trim_start_matches('*').trim().parse().unwrap();
            let mut args = Vec::new();
            for _ in 0..n {
                line.clear();
                r.read_line(&mut line).unwrap();
                let len: usize = line.trim_start_matches('$').trim().parse().unwrap();
                let mut a = vec![0u8; len + 2];
                r.read_exact(&mut a).unwrap();
                a.truncate(len);
                args.push(a);
            }
            let reply = if args[0].eq_ignore_ascii_case(b"PING") {
                b"+PONG\r\n".to_vec()
            } else {
                format!("${}\r\n{}\r\n", 20_000, "z".repeat(20_000)).into_bytes()
            };
            if w.write_all(&reply).is_err() {
                break;
            }
        }
    });
    let mut c = common::client(&addr, "Standalone");
    let mut out = [0f32; 4];
    let e = c
        .unpack_tensor(
            "t",
            smartredis::tensor::TensorMut::from_slice(&[4], &mut out).unwrap(),
        )
        .unwrap_err();
    assert!(e.message().len() < 1024, "{} bytes: {e}", e.message().len());
    // A reply read whole and then found unexpected (HGETALL of a dataset's metadata) is quoted in part.
    let e = c.get_dataset("d").unwrap_err();
    assert!(e.message().len() < 1024, "{} bytes: {e}", e.message().len());
    assert!(
        e.message().contains("zzzz") && e.message().ends_with("(cut)"),
        "{e}"
    );
}
