//! Datasets through a real server with the module, standalone and on a 3-shard cluster: every tensor type and
//! layout, every metadata type, the raw bytes and keys in the database, copy/rename/delete/exists/poll, stale
//! tensors, prefixes and error paths.

mod common;

use redis::Value;
use smartredis::dataset::wire::{self, MetaValues};
use smartredis::tensor::{DType, Layout, TensorMut, TensorRef};
use smartredis::transport::Route;
use smartredis::{Client, DataSet, Entity, SRError, SRMetaDataType};
use testkit::{RedisCluster, RedisServer};

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(37).wrapping_add(seed))
        .collect()
}

/// A raw command on the node holding `key`.
fn raw(c: &mut Client, key: &str, cmd: &redis::Cmd) -> Value {
    c.connection()
        .query(Route::Key(key.as_bytes()), cmd)
        .unwrap()
}

fn hget(c: &mut Client, key: &str, field: &str) -> Option<Vec<u8>> {
    match raw(c, key, redis::cmd("HGET").arg(key).arg(field)) {
        Value::BulkString(b) => Some(b),
        Value::Nil => None,
        other => panic!("HGET {key} {field}: {other:?}"),
    }
}

fn exists(c: &mut Client, key: &str) -> bool {
    c.key_exists(key).unwrap()
}

/// A dataset with a tensor of every type in every put layout and a field of every metadata type.
/// A tensor expected in a dataset: name, type, dims, row-major bytes.
type Expected = (String, DType, Vec<usize>, Vec<u8>);

fn full_dataset(name: &str) -> (DataSet, Vec<Expected>) {
    let mut ds = DataSet::new(name).unwrap();
    let dims = [2usize, 3, 4];
    let n = 24;
    let mut expect = Vec::new();
    for dtype in DType::all() {
        let es = dtype.size();
        let rm = pattern(n * es, es as u8);
        // Row-major.
        let tname = format!("c_{}", dtype.wire_name());
        ds.add_tensor(
            &tname,
            &TensorRef::from_bytes(dtype, &dims, Layout::Contiguous, &rm).unwrap(),
        )
        .unwrap();
        expect.push((tname, dtype, dims.to_vec(), rm.clone()));
        // Column-major holding the same logical tensor.
        let mut cm = vec![0u8; n * es];
        for i in 0..2 {
            for j in 0..3 {
                for k in 0..4 {
                    let r = ((i * 3 + j) * 4 + k) * es;
                    let c = (i + 2 * (j + 3 * k)) * es;
                    cm[c..c + es].copy_from_slice(&rm[r..r + es]);
                }
            }
        }
        let tname = format!("f_{}", dtype.wire_name());
        ds.add_tensor(
            &tname,
            &TensorRef::from_bytes(dtype, &dims, Layout::FortranContiguous, &cm).unwrap(),
        )
        .unwrap();
        expect.push((tname, dtype, dims.to_vec(), rm.clone()));
        // Nested rows.
        let rows: Vec<&[u8]> = rm.chunks(4 * es).collect();
        let leaf: Vec<*const std::ffi::c_void> = rows.iter().map(|r| r.as_ptr().cast()).collect();
        let mid: Vec<*const std::ffi::c_void> =
            (0..2).map(|i| leaf[i * 3..].as_ptr().cast()).collect();
        let t = unsafe { TensorRef::from_nested(dtype, &dims, mid.as_ptr().cast()) }.unwrap();
        let tname = format!("n_{}", dtype.wire_name());
        ds.add_tensor(&tname, &t).unwrap();
        expect.push((tname, dtype, dims.to_vec(), rm));
    }
    ds.add_meta_scalar("dbl", 1.5f64).unwrap();
    ds.add_meta_scalar("dbl", -2.25f64).unwrap();
    ds.add_meta_scalar("flt", 3.5f32).unwrap();
    ds.add_meta_scalar("i32", -7i32).unwrap();
    ds.add_meta_scalar("i64", i64::MIN).unwrap();
    ds.add_meta_scalar("u32", u32::MAX).unwrap();
    ds.add_meta_scalar("u64", u64::MAX).unwrap();
    ds.add_meta_scalar("u64", 5u64).unwrap();
    ds.add_meta_string("str", b"first").unwrap();
    ds.add_meta_string("str", "second \u{e9}".as_bytes())
        .unwrap();
    (ds, expect)
}

fn check_dataset(ds: &DataSet, expect: &[Expected]) {
    let names: Vec<&str> = expect.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(ds.tensor_names(), names);
    for (name, dtype, dims, rm) in expect {
        assert_eq!(ds.tensor_type(name).unwrap(), dtype.sr());
        assert_eq!(ds.tensor_dims(name).unwrap(), &dims[..]);
        let t = ds.get_tensor(name, Layout::Contiguous).unwrap();
        assert_eq!(t.data.as_bytes(), &rm[..], "{name}");
        let mut out = vec![0u8; rm.len()];
        ds.unpack_tensor(
            name,
            TensorMut::from_bytes(*dtype, &[24], Layout::Contiguous, &mut out).unwrap(),
        )
        .unwrap();
        assert_eq!(&out, rm);
    }
    assert_eq!(
        ds.get_meta_scalars("dbl").unwrap(),
        &MetaValues::F64(vec![1.5, -2.25])
    );
    assert_eq!(
        ds.get_meta_scalars("flt").unwrap(),
        &MetaValues::F32(vec![3.5])
    );
    assert_eq!(
        ds.get_meta_scalars("i32").unwrap(),
        &MetaValues::I32(vec![-7])
    );
    assert_eq!(
        ds.get_meta_scalars("i64").unwrap(),
        &MetaValues::I64(vec![i64::MIN])
    );
    assert_eq!(
        ds.get_meta_scalars("u32").unwrap(),
        &MetaValues::U32(vec![u32::MAX])
    );
    assert_eq!(
        ds.get_meta_scalars("u64").unwrap(),
        &MetaValues::U64(vec![u64::MAX, 5])
    );
    assert_eq!(
        ds.get_meta_strings("str").unwrap(),
        &[b"first".to_vec(), "second \u{e9}".as_bytes().to_vec()]
    );
    let mut fields = ds.metadata_field_names();
    fields.sort();
    assert_eq!(
        fields,
        vec!["dbl", "flt", "i32", "i64", "str", "u32", "u64"]
    );
    assert_eq!(
        ds.metadata_field_type("u32").unwrap(),
        SRMetaDataType::SRMetadataTypeUint32
    );
}

fn exercise(c: &mut Client) {
    let (ds, expect) = full_dataset("full");
    assert!(!c.dataset_exists("full").unwrap());
    assert!(!c.poll_dataset("full", 1, 2).unwrap());
    c.put_dataset(&ds).unwrap();
    assert!(c.dataset_exists("full").unwrap());
    assert!(c.poll_dataset("full", 1, 1).unwrap());

    // The bytes in the database, as upstream lays them out.
    assert_eq!(hget(c, "{full}.meta", ".COMPLETE").unwrap(), b"1");
    let mut want = vec![1u8];
    want.extend_from_slice(&1.5f64.to_ne_bytes());
    want.extend_from_slice(&(-2.25f64).to_ne_bytes());
    assert_eq!(hget(c, "{full}.meta", "dbl").unwrap(), want);
    let mut want = vec![6u8];
    want.extend_from_slice(&u64::MAX.to_ne_bytes());
    want.extend_from_slice(&5u64.to_ne_bytes());
    assert_eq!(hget(c, "{full}.meta", "u64").unwrap(), want);
    let mut want = vec![7u8];
    for s in [&b"first"[..], "second \u{e9}".as_bytes()] {
        want.extend_from_slice(&(s.len() as u64).to_ne_bytes());
        want.extend_from_slice(s);
    }
    assert_eq!(hget(c, "{full}.meta", "str").unwrap(), want);
    let names = hget(c, "{full}.meta", ".tensor_names").unwrap();
    assert_eq!(
        MetaValues::decode(&names).unwrap(),
        MetaValues::Str(expect.iter().map(|e| e.0.as_bytes().to_vec()).collect())
    );
    // Tensors are plain tensors under {name}.<tensor>, row-major.
    let t = c.get_tensor("{full}.f_INT16", Layout::Contiguous).unwrap();
    assert_eq!(t.data.as_bytes(), &expect[10].3[..]);
    assert_eq!(t.dims, vec![2, 3, 4]);

    let got = c.get_dataset("full").unwrap();
    assert_eq!(got.name(), "full");
    check_dataset(&got, &expect);
    // Fortran get from the fetched dataset transposes back.
    let f = got
        .get_tensor("c_INT32", Layout::FortranContiguous)
        .unwrap();
    let orig = ds.get_tensor("c_INT32", Layout::FortranContiguous).unwrap();
    assert_eq!(f.data, orig.data);

    // Copy and rename keep everything; rename removes the source.
    c.copy_dataset("full", "copy").unwrap();
    check_dataset(&c.get_dataset("copy").unwrap(), &expect);
    assert!(c.dataset_exists("full").unwrap());
    c.rename_dataset("copy", "moved").unwrap();
    assert!(!c.dataset_exists("copy").unwrap());
    assert!(!exists(c, "{copy}.meta") && !exists(c, "{copy}.c_DOUBLE"));
    check_dataset(&c.get_dataset("moved").unwrap(), &expect);
    c.rename_dataset("moved", "moved").unwrap();
    assert!(c.dataset_exists("moved").unwrap());

    // Delete removes the hash and every tensor.
    c.delete_dataset("moved").unwrap();
    assert!(!exists(c, "{moved}.meta"));
    for e in &expect {
        assert!(!exists(c, &format!("{{moved}}.{}", e.0)));
    }

    // Putting over an existing dataset leaves no stale tensors.
    let mut small = DataSet::new("full").unwrap();
    small
        .add_tensor(
            "c_DOUBLE",
            &TensorRef::from_slice(&[2], &[1.0f64, 2.0]).unwrap(),
        )
        .unwrap();
    c.put_dataset(&small).unwrap();
    assert!(exists(c, "{full}.c_DOUBLE"));
    assert!(!exists(c, "{full}.c_FLOAT") && !exists(c, "{full}.n_UINT16"));
    let got = c.get_dataset("full").unwrap();
    assert_eq!(got.tensor_names(), vec!["c_DOUBLE"]);
    assert!(got.metadata_field_names().is_empty());
    assert_eq!(hget(c, "{full}.meta", "dbl"), None);

    // Metadata only, and tensors only.
    let mut meta_only = DataSet::new("meta_only").unwrap();
    meta_only.add_meta_string("s", b"x").unwrap();
    c.put_dataset(&meta_only).unwrap();
    let got = c.get_dataset("meta_only").unwrap();
    assert!(got.tensor_names().is_empty());
    assert_eq!(got.get_meta_strings("s").unwrap(), &[b"x".to_vec()]);
    c.delete_dataset("meta_only").unwrap();
    assert!(!c.dataset_exists("meta_only").unwrap());

    // Errors: empty dataset, missing dataset (key error everywhere).
    let e = c.put_dataset(&DataSet::new("empty").unwrap()).unwrap_err();
    assert_eq!(e.code(), SRError::SRRuntimeError);
    for e in [
        c.get_dataset("absent").unwrap_err(),
        c.copy_dataset("absent", "x").unwrap_err(),
        c.rename_dataset("absent", "x").unwrap_err(),
        c.delete_dataset("absent").unwrap_err(),
    ] {
        assert_eq!(e.code(), SRError::SRKeyError, "{e}");
        assert!(e.message().contains("absent"), "{e}");
    }

    // An error inside the pipeline names the command and keeps the server's text.
    raw(
        c,
        "{clash}.t",
        redis::cmd("SET").arg("{clash}.t").arg("not a tensor"),
    );
    let mut clash = DataSet::new("clash").unwrap();
    clash
        .add_tensor("t", &TensorRef::from_slice(&[1], &[1u8]).unwrap())
        .unwrap();
    let e = c.put_dataset(&clash).unwrap_err();
    assert_eq!(e.code(), SRError::SRRuntimeError);
    assert!(
        e.message().contains("AI.TENSORSET {clash}.t") && e.message().contains("WRONGTYPE"),
        "{e}"
    );
    assert!(!c.dataset_exists("clash").unwrap());
    // The connection is still in sync.
    assert!(c.dataset_exists("full").unwrap());
}

/// Aggregation lists: append, length, poll, get (all and ranges), copy, rename, delete, errors.
fn lists(c: &mut Client) {
    let n = 12;
    for i in 0..n {
        let mut ds = DataSet::new(&format!("agg_{i}")).unwrap();
        let v: Vec<u16> = (0..5).map(|k| (i * 10 + k) as u16).collect();
        ds.add_tensor("v", &TensorRef::from_slice(&[5], &v).unwrap())
            .unwrap();
        ds.add_meta_scalar("i", i as i64).unwrap();
        if i % 3 == 0 {
            ds.add_tensor("w", &TensorRef::from_slice(&[1], &[i as f32]).unwrap())
                .unwrap();
        }
        c.put_dataset(&ds).unwrap();
        c.append_to_list("agg", &ds).unwrap();
    }
    assert_eq!(c.get_list_length("agg").unwrap(), n as i32);
    assert_eq!(c.get_list_length("no_list").unwrap(), 0);
    assert!(c.poll_list_length("agg", n as i32, 1, 1).unwrap());
    assert!(!c.poll_list_length("agg", 3, 1, 2).unwrap());
    assert!(c.poll_list_length_gte("agg", 3, 1, 1).unwrap());
    assert!(!c.poll_list_length_gte("agg", 100, 1, 1).unwrap());
    assert!(c.poll_list_length_lte("agg", 100, 1, 1).unwrap());
    assert!(!c.poll_list_length_lte("agg", 3, 1, 1).unwrap());
    let e = c.poll_list_length("agg", -1, 1, 1).unwrap_err();
    assert_eq!(e.code(), SRError::SRParameterError);
    // Elements are the dataset base keys.
    let v = raw(c, "agg", redis::cmd("LINDEX").arg("agg").arg(0));
    assert_eq!(v, Value::BulkString(b"{agg_0}".to_vec()));

    let all = c.get_datasets_from_list("agg").unwrap();
    assert_eq!(all.len(), n);
    for (i, ds) in all.iter().enumerate() {
        assert_eq!(ds.name(), format!("agg_{i}"));
        let mut v = [0u16; 5];
        ds.unpack_tensor("v", TensorMut::from_slice(&[5], &mut v).unwrap())
            .unwrap();
        assert_eq!(v[4], (i * 10 + 4) as u16);
        assert_eq!(
            ds.get_meta_scalars("i").unwrap(),
            &MetaValues::I64(vec![i as i64])
        );
        assert_eq!(ds.tensor_names().len(), if i % 3 == 0 { 2 } else { 1 });
    }
    let range = c.get_dataset_list_range("agg", 3, 5).unwrap();
    let names: Vec<&str> = range.iter().map(|d| d.name()).collect();
    assert_eq!(names, vec!["agg_3", "agg_4", "agg_5"]);
    let tail = c.get_dataset_list_range("agg", -2, -1).unwrap();
    assert_eq!(tail[1].name(), format!("agg_{}", n - 1));
    assert!(c.get_dataset_list_range("agg", 50, 60).unwrap().is_empty());
    assert!(c.get_datasets_from_list("no_list").unwrap().is_empty());

    c.copy_list("agg", "agg_copy").unwrap();
    assert_eq!(c.get_list_length("agg_copy").unwrap(), n as i32);
    c.copy_list("agg", "agg").unwrap();
    c.rename_list("agg_copy", "agg_moved").unwrap();
    assert_eq!(c.get_list_length("agg_copy").unwrap(), 0);
    assert_eq!(c.get_datasets_from_list("agg_moved").unwrap().len(), n);
    c.delete_list("agg_moved").unwrap();
    assert_eq!(c.get_list_length("agg_moved").unwrap(), 0);
    let e = c.copy_list("no_list", "x").unwrap_err();
    assert_eq!(e.code(), SRError::SRRuntimeError);
    let e = c
        .append_to_list("", &DataSet::new("x").unwrap())
        .unwrap_err();
    assert_eq!(e.code(), SRError::SRParameterError);
    // A listed dataset that was deleted: a key error naming it.
    c.delete_dataset("agg_7").unwrap();
    let e = c.get_datasets_from_list("agg").unwrap_err();
    assert_eq!(e.code(), SRError::SRKeyError);
    assert!(e.message().contains("agg_7"), "{e}");
}

#[test]
fn standalone() {
    let server = RedisServer::with_module();
    let mut c = common::client(&server.addr(), "Standalone");
    exercise(&mut c);
    lists(&mut c);
}

#[test]
fn cluster_of_three() {
    let cluster = RedisCluster::with_module(3);
    let mut c = common::client(&cluster.ssdb(), "Clustered");
    exercise(&mut c);
    lists(&mut c);
    // Many datasets spread over every shard.
    for i in 0..30 {
        let mut ds = DataSet::new(&format!("spread{i}")).unwrap();
        ds.add_tensor("v", &TensorRef::from_slice(&[1], &[i as i64]).unwrap())
            .unwrap();
        ds.add_meta_scalar("i", i).unwrap();
        c.put_dataset(&ds).unwrap();
    }
    for i in 0..30 {
        let ds = c.get_dataset(&format!("spread{i}")).unwrap();
        let mut v = [0i64];
        ds.unpack_tensor("v", TensorMut::from_slice(&[1], &mut v).unwrap())
            .unwrap();
        assert_eq!(v[0], i as i64);
        assert_eq!(ds.get_meta_scalars("i").unwrap(), &MetaValues::I32(vec![i]));
    }
}

#[test]
fn prefixes() {
    let server = RedisServer::with_module();
    let cfg = common::config(&server.addr(), "Standalone");
    cfg.override_string_option("SSKEYOUT", "keyout").unwrap();
    cfg.override_string_option("SSKEYIN", "keyout,other")
        .unwrap();
    let mut c = Client::new(Some(&cfg), "prefixes").unwrap();
    let mut ds = DataSet::new("pds").unwrap();
    ds.add_tensor("t", &TensorRef::from_slice(&[2], &[1u16, 2]).unwrap())
        .unwrap();
    c.put_dataset(&ds).unwrap();
    assert!(exists(&mut c, "keyout.{pds}.meta") && exists(&mut c, "keyout.{pds}.t"));
    assert_eq!(c.dataset_put_key("pds"), "keyout.{pds}");
    assert!(c.dataset_exists("pds").unwrap());
    c.rename_dataset("pds", "pds2").unwrap();
    assert!(exists(&mut c, "keyout.{pds2}.meta") && !exists(&mut c, "keyout.{pds}.meta"));
    c.set_data_source("other").unwrap();
    assert_eq!(
        c.get_dataset("pds2").unwrap_err().code(),
        SRError::SRKeyError
    );
    c.use_ensemble_prefix(Entity::Dataset, false);
    c.put_dataset(&ds).unwrap();
    assert!(exists(&mut c, "{pds}.meta"));
    assert_eq!(
        wire::name_from_base_key(&c.dataset_put_key("pds")),
        Some("pds")
    );

    // Lists: the key has the list prefix, the element the dataset's put prefix; copy_list writes and clears
    // the destination under the same (put-prefixed) key.
    c.use_ensemble_prefix(Entity::Dataset, true);
    c.set_data_source("keyout").unwrap();
    c.put_dataset(&ds).unwrap();
    c.append_to_list("plist", &ds).unwrap();
    let v = raw(
        &mut c,
        "keyout.plist",
        redis::cmd("LINDEX").arg("keyout.plist").arg(0),
    );
    assert_eq!(v, Value::BulkString(b"keyout.{pds}".to_vec()));
    let got = c.get_datasets_from_list("plist").unwrap();
    assert_eq!(got[0].name(), "pds");
    raw(
        &mut c,
        "keyout.pcopy",
        redis::cmd("RPUSH").arg("keyout.pcopy").arg("stale"),
    );
    c.copy_list("plist", "pcopy").unwrap();
    assert_eq!(c.get_list_length("pcopy").unwrap(), 1);
}
