//! Tensor round trips through a real server with the module: every type, every layout, standalone (TCP and Unix
//! socket, mode given and detected) and cluster; error paths.

mod common;

use smartredis::tensor::{DType, Element, Layout, TensorMut, TensorRef};
use smartredis::{Client, Entity, SRError};
use testkit::{RedisCluster, RedisServer};

fn bytes_of<T: Element>(v: &[T]) -> &[u8] {
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast(), std::mem::size_of_val(v)) }
}

fn bytes_of_mut<T: Element>(v: &mut [T]) -> &mut [u8] {
    unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast(), std::mem::size_of_val(v)) }
}

/// Deterministic pseudo-random bytes that are valid for every type.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn round_trips(c: &mut Client) {
    let dims = [3usize, 4, 5];
    let n: usize = dims.iter().product();
    for dtype in DType::all() {
        let es = dtype.size();
        let data = pattern(n * es, dtype.size() as u8);
        let name = format!("t_{}", dtype.wire_name());
        // Contiguous put → get (Contiguous) and unpack (Contiguous, by total and by shape).
        c.put_tensor(
            &name,
            &TensorRef::from_bytes(dtype, &dims, Layout::Contiguous, &data).unwrap(),
        )
        .unwrap();
        let t = c.get_tensor(&name, Layout::Contiguous).unwrap();
        assert_eq!((t.dtype, t.dims.as_slice()), (dtype, &dims[..]));
        assert_eq!(t.data.as_bytes(), &data[..], "{}", dtype.wire_name());
        let mut out = vec![0u8; n * es];
        c.unpack_tensor(
            &name,
            TensorMut::from_bytes(dtype, &[n], Layout::Contiguous, &mut out).unwrap(),
        )
        .unwrap();
        assert_eq!(out, data);

        // Fortran get: element (i,j,k) at i + 3j + 12k.
        let f = c.get_tensor(&name, Layout::FortranContiguous).unwrap();
        let mut fout = vec![0u8; n * es];
        c.unpack_tensor(
            &name,
            TensorMut::from_bytes(dtype, &dims, Layout::FortranContiguous, &mut fout).unwrap(),
        )
        .unwrap();
        assert_eq!(f.data.as_bytes(), &fout[..]);
        for i in 0..3 {
            for j in 0..4 {
                for k in 0..5 {
                    let row = ((i * 4 + j) * 5 + k) * es;
                    let col = (i + 3 * j + 12 * k) * es;
                    assert_eq!(&fout[col..col + es], &data[row..row + es]);
                }
            }
        }
        // As upstream, FortranContiguous also takes the single total element count as dims (transposed with the
        // stored shape).
        let mut fout_total = vec![0u8; n * es];
        c.unpack_tensor(
            &name,
            TensorMut::from_bytes(dtype, &[n], Layout::FortranContiguous, &mut fout_total).unwrap(),
        )
        .unwrap();
        assert_eq!(fout_total, fout);
        // Put Fortran → stored row-major: reading back C order gives the original row-major data.
        c.put_tensor(
            &format!("{name}_f"),
            &TensorRef::from_bytes(dtype, &dims, Layout::FortranContiguous, &fout).unwrap(),
        )
        .unwrap();
        let back = c
            .get_tensor(&format!("{name}_f"), Layout::Contiguous)
            .unwrap();
        assert_eq!(back.data.as_bytes(), &data[..]);
        assert_eq!(back.dims, dims);

        // Nested put and unpack.
        let rows: Vec<Vec<u8>> = data.chunks(5 * es).map(|r| r.to_vec()).collect();
        let leaf: Vec<*const std::ffi::c_void> = rows.iter().map(|r| r.as_ptr().cast()).collect();
        let mid: Vec<*const std::ffi::c_void> =
            (0..3).map(|i| leaf[i * 4..].as_ptr().cast()).collect();
        let nested = unsafe { TensorRef::from_nested(dtype, &dims, mid.as_ptr().cast()) }.unwrap();
        c.put_tensor(&format!("{name}_n"), &nested).unwrap();
        let back = c
            .get_tensor(&format!("{name}_n"), Layout::Contiguous)
            .unwrap();
        assert_eq!(back.data.as_bytes(), &data[..]);
        let mut orows: Vec<Vec<u8>> = vec![vec![0u8; 5 * es]; 12];
        let oleaf: Vec<*mut std::ffi::c_void> =
            orows.iter_mut().map(|r| r.as_mut_ptr().cast()).collect();
        let omid: Vec<*mut std::ffi::c_void> = (0..3)
            .map(|i| oleaf[i * 4..].as_ptr() as *mut std::ffi::c_void)
            .collect();
        c.unpack_tensor(
            &name,
            unsafe { TensorMut::from_nested(dtype, &dims, omid.as_ptr() as *mut std::ffi::c_void) }
                .unwrap(),
        )
        .unwrap();
        assert_eq!(orows.concat(), data);
    }
}

fn large_and_errors(c: &mut Client) {
    // Larger than every buffer: 3 MiB of doubles, odd length.
    let v: Vec<f64> = (0..393_217).map(|i| i as f64 * 0.5).collect();
    c.put_tensor("big", &TensorRef::from_slice(&[v.len()], &v).unwrap())
        .unwrap();
    let mut out = vec![0.0f64; v.len()];
    c.unpack_tensor("big", TensorMut::from_slice(&[v.len()], &mut out).unwrap())
        .unwrap();
    assert_eq!(out, v);
    let t = c.get_tensor("big", Layout::Contiguous).unwrap();
    assert_eq!(t.data.as_slice::<f64>(), &v[..]);

    // Nested with large rows (sent from the rows themselves) and unpacked into large rows.
    let rows: Vec<Vec<f64>> = (0..3)
        .map(|r| (0..1000).map(|i| (r * 1000 + i) as f64).collect())
        .collect();
    let ptrs: Vec<*const std::ffi::c_void> = rows.iter().map(|r| r.as_ptr().cast()).collect();
    let t =
        unsafe { TensorRef::from_nested(f64::dtype(), &[3, 1000], ptrs.as_ptr().cast()) }.unwrap();
    c.put_tensor("nested_big", &t).unwrap();
    let flat = c.get_tensor("nested_big", Layout::Contiguous).unwrap();
    assert_eq!(flat.data.as_slice::<f64>(), &rows.concat()[..]);
    let mut back: Vec<Vec<f64>> = vec![vec![0.0; 1000]; 3];
    let bptrs: Vec<*mut std::ffi::c_void> =
        back.iter_mut().map(|r| r.as_mut_ptr().cast()).collect();
    let dest = unsafe {
        TensorMut::from_nested(
            f64::dtype(),
            &[3, 1000],
            bptrs.as_ptr() as *mut std::ffi::c_void,
        )
    };
    c.unpack_tensor("nested_big", dest.unwrap()).unwrap();
    assert_eq!(back, rows);

    // Wrong type, wrong dims: clear errors, and the connection stays usable.
    let mut f = vec![0.0f32; v.len()];
    let e = c
        .unpack_tensor("big", TensorMut::from_slice(&[v.len()], &mut f).unwrap())
        .unwrap_err();
    assert_eq!(e.code(), SRError::SRRuntimeError);
    assert!(
        e.message().contains("DOUBLE") && e.message().contains("FLOAT"),
        "{e}"
    );
    let mut small = vec![0.0f64; 10];
    let e = c
        .unpack_tensor("big", TensorMut::from_slice(&[10], &mut small).unwrap())
        .unwrap_err();
    assert!(e.message().contains("dimensions"), "{e}");
    // Missing key: the server's error, naming the key.
    let e = c
        .get_tensor("no_such_tensor", Layout::Contiguous)
        .unwrap_err();
    assert_eq!(e.code(), SRError::SRRuntimeError);
    assert!(e.message().contains("no_such_tensor"), "{e}");
    assert!(c.tensor_exists("big").unwrap());

    // rename (same and different slots), copy, delete, exists, poll.
    let w = [1i64, 2, 3];
    c.put_tensor("{a}src", &TensorRef::from_slice(&[3], &w).unwrap())
        .unwrap();
    c.rename_tensor("{a}src", "{a}dst").unwrap();
    assert!(!c.tensor_exists("{a}src").unwrap());
    for other in ["x1", "x2", "x3", "x4", "x5"] {
        c.rename_tensor("{a}dst", other).unwrap();
        assert!(!c.tensor_exists("{a}dst").unwrap());
        c.copy_tensor(other, "{a}dst").unwrap();
        let mut got = [0i64; 3];
        c.unpack_tensor("{a}dst", TensorMut::from_slice(&[3], &mut got).unwrap())
            .unwrap();
        assert_eq!(got, w);
        assert!(c.tensor_exists(other).unwrap());
        c.delete_tensor(other).unwrap();
        assert!(!c.poll_tensor(other, 1, 2).unwrap());
    }
    assert!(c.poll_key("{a}dst", 1, 1).unwrap());
    assert!(!c.poll_key("{a}dst", 1, 0).unwrap());
    let e = c.rename_tensor("absent", "x").unwrap_err();
    assert_eq!(e.code(), SRError::SRRuntimeError);
    let e = c.copy_tensor("absent", "x").unwrap_err();
    assert!(e.message().contains("absent"), "{e}");
    c.delete_tensor("absent").unwrap();

    // Many small puts on distinct keys (all shards).
    for i in 0..300 {
        let v = [i as f32; 16];
        c.put_tensor(
            &format!("small{i}"),
            &TensorRef::from_slice(&[16], &v).unwrap(),
        )
        .unwrap();
    }
    for i in (0..300).step_by(37) {
        let mut v = [0f32; 16];
        c.unpack_tensor(
            &format!("small{i}"),
            TensorMut::from_slice(&[16], &mut v).unwrap(),
        )
        .unwrap();
        assert_eq!(v, [i as f32; 16]);
    }
    let _ = bytes_of::<u8>(&[]);
    let _ = bytes_of_mut::<u8>(&mut []);
}

#[test]
fn standalone_tcp() {
    let server = RedisServer::with_module();
    let mut c = common::client(&server.addr(), "Standalone");
    assert!(!c.is_cluster());
    round_trips(&mut c);
    large_and_errors(&mut c);
}

#[test]
fn standalone_unix_socket() {
    let server = RedisServer::options().with_module().unix_socket().start();
    let ssdb = format!("unix://{}", server.socket.as_ref().unwrap().display());
    let mut c = common::client(&ssdb, "Standalone");
    round_trips(&mut c);
    large_and_errors(&mut c);
}

#[test]
fn cluster_of_three() {
    let cluster = RedisCluster::with_module(3);
    let mut c = common::client(&cluster.ssdb(), "Clustered");
    assert!(c.is_cluster());
    round_trips(&mut c);
    large_and_errors(&mut c);
}

#[test]
fn mode_is_detected_when_sr_db_type_is_unset() {
    let server = RedisServer::with_module();
    assert!(!common::client(&server.addr(), "").is_cluster());
    let cluster = RedisCluster::with_module(2);
    let mut c = common::client(&cluster.ssdb(), "");
    assert!(c.is_cluster());
    c.put_tensor("k", &TensorRef::from_slice(&[1], &[1u8]).unwrap())
        .unwrap();
}

#[test]
fn ensemble_prefixes() {
    let server = RedisServer::with_module();
    let cfg = common::config(&server.addr(), "Standalone");
    cfg.override_string_option("SSKEYOUT", "producer_0")
        .unwrap();
    cfg.override_string_option("SSKEYIN", "producer_0,producer_1")
        .unwrap();
    let mut c = Client::new(Some(&cfg), "ens").unwrap();
    let v = [1u16, 2];
    c.put_tensor("t", &TensorRef::from_slice(&[2], &v).unwrap())
        .unwrap();
    assert!(c.key_exists("producer_0.t").unwrap());
    assert!(c.tensor_exists("t").unwrap());
    c.set_data_source("producer_1").unwrap();
    assert!(!c.tensor_exists("t").unwrap());
    let e = c.set_data_source("nobody").unwrap_err();
    assert_eq!(e.code(), SRError::SRRuntimeError);
    assert!(e.message().contains("nobody"));
    c.use_ensemble_prefix(Entity::Tensor, false);
    c.put_tensor("plain", &TensorRef::from_slice(&[2], &v).unwrap())
        .unwrap();
    assert!(c.key_exists("plain").unwrap());
    assert!(!c.uses_ensemble_prefix(Entity::Model));
    // With SSKEYOUT but no SSKEYIN, reads are not prefixed (upstream quirk 15, kept).
    cfg.override_string_option("SSKEYIN", "").unwrap();
    let cfg2 = common::config(&server.addr(), "Standalone");
    cfg2.override_string_option("SSKEYOUT", "out").unwrap();
    let mut c2 = Client::new(Some(&cfg2), "ens2").unwrap();
    c2.put_tensor("q", &TensorRef::from_slice(&[2], &v).unwrap())
        .unwrap();
    assert!(!c2.tensor_exists("q").unwrap());
    assert!(c2.key_exists("out.q").unwrap());
}

#[test]
fn parameter_errors() {
    let data = [0u8; 8];
    let e = TensorRef::from_bytes(f64::dtype(), &[2], Layout::Contiguous, &data).unwrap_err();
    assert_eq!(e.code(), SRError::SRParameterError);
    let e = TensorRef::from_bytes(f64::dtype(), &[], Layout::Contiguous, &data).unwrap_err();
    assert_eq!(e.code(), SRError::SRParameterError);
    let e = Layout::new(smartredis::SRMemoryLayout::SRMemLayoutFortranNested).unwrap_err();
    assert_eq!(e.code(), SRError::SRRuntimeError);
}
