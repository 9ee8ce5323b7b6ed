//! Regression tests of the client's data path: scalar tensors, hostile replies (from a tiny fake RESP server on
//! loopback), huge shapes, oversized puts. Each keeps the connection in sync or drops it, never answers one
//! command with the reply of another.

mod common;

use std::ffi::c_void;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

use smartredis::ffi::client as capi;
use smartredis::tensor::{Element, Layout, TensorMut, TensorRef};
use smartredis::transport::Route;
use smartredis::{Client, SRError};
use testkit::RedisServer;

fn set(server: &RedisServer, args: &[&str]) {
    let mut con = server.connection();
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    let _: () = cmd.query(&mut con).unwrap();
}

#[test]
fn scalar_tensor_fortran_get_keeps_the_connection_in_sync() {
    let server = RedisServer::with_module();
    set(&server, &["AI.TENSORSET", "s", "UINT8", "VALUES", "43"]);
    let mut c = common::client(&server.addr(), "Standalone");
    for layout in [Layout::FortranContiguous, Layout::Contiguous] {
        let t = c.get_tensor("s", layout).unwrap();
        assert_eq!(t.dims, Vec::<usize>::new());
        assert_eq!(t.data.as_bytes(), &[43]);
        assert!(!c.key_exists("absent").unwrap());
        assert!(c.key_exists("s").unwrap());
    }
}
#[test]
fn scalar_tensor_nested_get_through_the_c_api() {
    let server = RedisServer::with_module();
    set(&server, &["AI.TENSORSET", "s", "INT32", "VALUES", "-7"]);
    let mut c = common::c_client(&server.addr());
    let mut data: *mut c_void = std::ptr::null_mut();
    let mut dims: *mut usize = std::ptr::null_mut();
    let mut n_dims = 99usize;
    let mut ty = 0;
    let rc = capi::get_tensor(
        c,
        c"s".as_ptr(),
        1,
        &mut data,
        &mut dims,
        &mut n_dims,
        &mut ty,
        smartredis::SRMemoryLayout::SRMemLayoutNested as _,
    );
    assert_eq!(rc, SRError::SRNoError);
    assert_eq!(n_dims, 0);
    assert_eq!(unsafe { *data.cast::<i32>() }, -7);
    assert_eq!(capi::DeleteCClient(&mut c), SRError::SRNoError);
}
#[test]
fn scalar_tensor_copy_and_rename() {
    let server = RedisServer::with_module();
    set(&server, &["AI.TENSORSET", "s", "FLOAT", "VALUES", "2.5"]);
    let mut c = common::client(&server.addr(), "Standalone");
    c.copy_tensor("s", "s2").unwrap();
    let t = c.get_tensor("s2", Layout::Contiguous).unwrap();
    assert!(t.dims.is_empty());
    assert_eq!(t.data.as_bytes(), &2.5f32.to_ne_bytes());

    // Cluster: a rename across shards is a copy.
    let cluster = testkit::RedisCluster::with_module(3);
    let mut c = common::client(&cluster.ssdb(), "Clustered");
    let set = redis::cmd("AI.TENSORSET")
        .arg("s")
        .arg("FLOAT")
        .arg("VALUES")
        .arg("2.5")
        .clone();
    c.connection().query(Route::Key(b"s"), &set).unwrap();
    assert!(!c.connection().same_slot(b"s", b"other"));
    c.rename_tensor("s", "other").unwrap();
    assert!(!c.tensor_exists("s").unwrap());
    let t = c.get_tensor("other", Layout::Contiguous).unwrap();
    assert!(t.dims.is_empty());
    assert_eq!(t.data.as_bytes(), &2.5f32.to_ne_bytes());
}

/// A fake server: answers `PING` with `+PONG`, `AI.TENSORGET` with `tensorget`, `EXISTS` with `:1`, anything else
/// with `+OK`. Returns its address.
fn fake_server(tensorget: &'static [u8]) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            std::thread::spawn(move || serve(s, tensorget));
        }
    });
    addr
}

fn serve(s: TcpStream, tensorget: &[u8]) {
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let n: usize = line.trim_end()[1..].parse().unwrap_or(0);
        let mut args = Vec::new();
        for _ in 0..n {
            line.clear();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let len: usize = line.trim_end()[1..].parse().unwrap_or(0);
            let mut b = vec![0u8; len + 2];
            if r.read_exact(&mut b).is_err() {
                return;
            }
            b.truncate(len);
            args.push(b);
        }
        let reply: &[u8] = match args.first().map(|a| a.to_ascii_uppercase()) {
            Some(a) if a == b"PING" => b"+PONG\r\n",
            Some(a) if a == b"AI.TENSORGET" => tensorget,
            Some(a) if a == b"EXISTS" => b":1\r\n",
            // Claims 2^60 bytes and sends none.
            Some(a) if a == b"GET" => b"$1152921504606846976\r\n",
            _ => b"+OK\r\n",
        };
        if w.write_all(reply).is_err() {
            return;
        }
    }
}

/// After a bad `AI.TENSORGET` reply, the error is reported and the next command gets its own reply.
fn bad_reply_fails_and_next_command_is_in_sync(reply: &'static [u8]) {
    let addr = fake_server(reply);
    let mut c = common::client(&addr, "Standalone");
    for layout in [Layout::Contiguous, Layout::FortranContiguous] {
        let e = c.get_tensor("t", layout).unwrap_err();
        assert_ne!(e.code(), SRError::SRNoError);
        assert!(c.key_exists("k").unwrap(), "out of sync after {e}");
    }
    let mut out = [0u8; 4];
    let e = c
        .unpack_tensor("t", TensorMut::from_slice(&[4], &mut out).unwrap())
        .unwrap_err();
    assert_ne!(e.code(), SRError::SRNoError);
    assert!(c.key_exists("k").unwrap(), "out of sync after {e}");
}

#[test]
fn wrapping_shape_is_rejected() {
    // 2^62 * 4 wraps to 0 in 64-bit arithmetic.
    bad_reply_fails_and_next_command_is_in_sync(
        b"*6\r\n$5\r\ndtype\r\n$5\r\nUINT8\r\n$5\r\nshape\r\n*2\r\n:4611686018427387904\r\n:4\r\n$4\r\nblob\r\n$0\r\n\r\n",
    );
}
#[test]
fn zero_dimension_in_shape_is_rejected() {
    bad_reply_fails_and_next_command_is_in_sync(
        b"*6\r\n$5\r\ndtype\r\n$5\r\nUINT8\r\n$5\r\nshape\r\n*3\r\n:1000000000\r\n:1000000000\r\n:0\r\n$4\r\nblob\r\n$0\r\n\r\n",
    );
}
#[test]
fn zero_dimension_nested_c_get_does_not_allocate_the_product() {
    let addr = fake_server(
        b"*6\r\n$5\r\ndtype\r\n$6\r\nDOUBLE\r\n$5\r\nshape\r\n*3\r\n:1000000000\r\n:1000000000\r\n:0\r\n$4\r\nblob\r\n$0\r\n\r\n",
    );
    let mut c = common::c_client(&addr);
    let mut data: *mut c_void = std::ptr::null_mut();
    let mut dims: *mut usize = std::ptr::null_mut();
    let (mut n_dims, mut ty) = (0usize, 0);
    let rc = capi::get_tensor(
        c,
        c"t".as_ptr(),
        1,
        &mut data,
        &mut dims,
        &mut n_dims,
        &mut ty,
        smartredis::SRMemoryLayout::SRMemLayoutNested as _,
    );
    assert_ne!(rc, SRError::SRNoError);
    assert!(data.is_null());
    assert_eq!(capi::DeleteCClient(&mut c), SRError::SRNoError);
}
#[test]
fn odd_length_reply_array_is_rejected() {
    bad_reply_fails_and_next_command_is_in_sync(
        b"*5\r\n$5\r\ndtype\r\n$5\r\nUINT8\r\n$5\r\nshape\r\n*1\r\n:1\r\n$1\r\nx\r\n",
    );
}
#[test]
fn error_element_inside_the_reply_array_is_rejected() {
    bad_reply_fails_and_next_command_is_in_sync(
        b"*6\r\n-ERR odd\r\n$5\r\nUINT8\r\n$5\r\nshape\r\n*1\r\n:1\r\n$4\r\nblob\r\n$1\r\nx\r\n",
    );
}
#[test]
fn huge_bulk_length_is_not_allocated_up_front() {
    // The client must fail (timeout) instead of aborting on allocation, and recover.
    let addr = fake_server(b"$1152921504606846976\r\n");
    let mut c = common::client(&addr, "Standalone");
    let e = c.get_tensor("t", Layout::Contiguous).unwrap_err();
    assert_eq!(e.code(), SRError::SRTimeoutError, "{e}");
    assert!(c.key_exists("t").unwrap());
    let e = c
        .connection()
        .query(Route::Key(b"t"), redis::cmd("GET").arg("t"))
        .unwrap_err();
    assert_eq!(e.code(), SRError::SRTimeoutError, "{e}");
    assert!(c.key_exists("t").unwrap());
}
#[test]
fn huge_dimension_count_is_a_parameter_error() {
    let dims = vec![1usize; 1 << 20];
    let leaf = [0u8; 1];
    // A self-referencing pointer table would be followed forever; the count is refused before the walk.
    let mut table: [*const c_void; 1] = [leaf.as_ptr().cast()];
    table[0] = table.as_ptr().cast();
    let e =
        unsafe { TensorRef::from_nested(u8::dtype(), &dims, table.as_ptr().cast()) }.unwrap_err();
    assert_eq!(e.code(), SRError::SRParameterError);
    let e = unsafe { TensorMut::from_nested(u8::dtype(), &dims, table.as_mut_ptr().cast()) }
        .unwrap_err();
    assert_eq!(e.code(), SRError::SRParameterError);
    assert_eq!(
        TensorRef::from_bytes(u8::dtype(), &dims, Layout::Contiguous, &leaf)
            .unwrap_err()
            .code(),
        SRError::SRParameterError
    );
}
#[test]
fn put_over_proto_max_bulk_len_reports_the_server_error_once() {
    let server = RedisServer::options()
        .with_module()
        .args(["--proto-max-bulk-len", "1mb"])
        .start();
    let mut c = common::client(&server.addr(), "Standalone");
    let data = vec![1u8; 16 << 20];
    let t = TensorRef::from_bytes(u8::dtype(), &[data.len()], Layout::Contiguous, &data).unwrap();
    let before = std::time::Instant::now();
    let e = c.put_tensor("big", &t).unwrap_err();
    assert_eq!(e.code(), SRError::SRDatabaseError, "{e}");
    assert!(e.message().contains("bulk length"), "{e}");
    // Not re-sent 21 times 100 ms apart.
    assert!(
        before.elapsed() < std::time::Duration::from_secs(1),
        "{:?}",
        before.elapsed()
    );
    let small = [1u8, 2];
    c.put_tensor("small", &TensorRef::from_slice(&[2], &small).unwrap())
        .unwrap();
    assert!(c.key_exists("small").unwrap());
}
#[test]
fn cluster_refresh_skips_a_dead_node_quickly() {
    let mut cluster = testkit::RedisCluster::with_module(3);
    let cfg = common::config(&cluster.ssdb(), "Clustered");
    // Retry budgets of 6 s: a refresh that spends them on the dead node takes at least that long.
    cfg.override_integer_option("SR_CONN_TIMEOUT", 6).unwrap();
    cfg.override_integer_option("SR_CONN_INTERVAL", 1000)
        .unwrap();
    cfg.override_integer_option("SR_CMD_TIMEOUT", 6).unwrap();
    cfg.override_integer_option("SR_CMD_INTERVAL", 1000)
        .unwrap();
    let mut c = Client::new(Some(&cfg), "refresh").unwrap();
    // Node 0 owns slot 0: the first primary a refresh asks.
    cluster.nodes[0].kill();
    let smartredis::transport::Connection::Cluster(cc) = c.connection() else {
        panic!("not a cluster connection");
    };
    let before = std::time::Instant::now();
    cc.refresh().unwrap();
    assert!(
        before.elapsed() < std::time::Duration::from_secs(3),
        "refresh took {:?}",
        before.elapsed()
    );
}
