//! Interoperability with upstream's SmartRedis Python client (`smartredis==0.6.1` from PyPI, installed into
//! `build/venv` by `scripts/setup-venv.sh`): our C API writes and the Python client reads, and the other way
//! round, on a standalone server and a 3-shard cluster, with the ensemble prefixes (`SSKEYOUT`/`SSKEYIN`) on and
//! off. Tensors of every type (written from row-major and from column-major memory, read back in both layouts), a
//! dataset with every tensor type, every metadata scalar type and string metadata, and an aggregation list built
//! by one side and consumed by the other; every value must match bit for bit (NaN payloads included). Models (ONNX)
//! and scripts (TORCH) set by one side are fetched byte for byte and run by the other. This file is the one home of
//! interoperability with the Python client. The Python half is `tests/interop/interop.py`; both halves generate the
//! same values (`bits`).
//!
//! A missing venv is created on first use; when that fails the tests fail. `SR_SKIP_INTEROP=1` skips them,
//! loudly, on machines without network.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::ptr::null_mut;
use std::sync::Mutex;

use smartredis::ffi::client::{
    key_exists, put_tensor, tensor_exists, unpack_tensor, use_dataset_ensemble_prefix,
    use_list_ensemble_prefix, use_tensor_ensemble_prefix, CreateClient, DeleteCClient,
};
use smartredis::ffi::client_datasets::{
    append_to_list, get_dataset, get_dataset_list_range, get_datasets_from_list, get_list_length,
    put_dataset, sr_dataset_array_free,
};
use smartredis::ffi::client_models::{
    delete_script, get_model, get_script, model_exists, run_model, run_script, set_model,
    set_script,
};
use smartredis::ffi::configoptions::{
    create_configoptions_from_environment, override_string_option, sr_configoptions_free,
};
use smartredis::ffi::dataset::{
    add_meta_scalar, add_meta_string, add_tensor, get_dataset_tensor, get_meta_scalars,
    get_meta_strings, get_metadata_field_names, get_metadata_field_type, get_tensor_dims,
    get_tensor_names, get_tensor_type, sr_dataset_get_name, unpack_dataset_tensor, CDataSet,
    DeallocateDataSet,
};
use smartredis::ffi::error::SRGetLastError;
use smartredis::{SRError, SRMemoryLayout, SRMetaDataType, SRTensorType};
use testkit::{RedisCluster, RedisServer};

/// The version `scripts/setup-venv.sh` installs (its stamp file names it).
const PY_SMARTREDIS: &str = "0.6.1";

/// (name, type, element size, shape) in `SRTensorType` order; as `TENSOR_TYPES` in interop.py.
const TENSOR_TYPES: [(&str, SRTensorType, usize, &[usize]); 8] = [
    ("DOUBLE", SRTensorType::SRTensorTypeDouble, 8, &[5]),
    ("FLOAT", SRTensorType::SRTensorTypeFloat, 4, &[3, 4]),
    ("INT8", SRTensorType::SRTensorTypeInt8, 1, &[2, 3, 4]),
    ("INT16", SRTensorType::SRTensorTypeInt16, 2, &[2, 1, 3, 2]),
    ("INT32", SRTensorType::SRTensorTypeInt32, 4, &[7, 3]),
    ("INT64", SRTensorType::SRTensorTypeInt64, 8, &[4, 4, 2]),
    ("UINT8", SRTensorType::SRTensorTypeUint8, 1, &[1, 9]),
    ("UINT16", SRTensorType::SRTensorTypeUint16, 2, &[3, 2, 2]),
];
/// (name, type, size) in `SRMetaDataType` order; as `META_TYPES` in interop.py.
const META_TYPES: [(&str, SRMetaDataType, usize); 6] = [
    ("DOUBLE", SRMetaDataType::SRMetadataTypeDouble, 8),
    ("FLOAT", SRMetaDataType::SRMetadataTypeFloat, 4),
    ("INT32", SRMetaDataType::SRMetadataTypeInt32, 4),
    ("INT64", SRMetaDataType::SRMetadataTypeInt64, 8),
    ("UINT32", SRMetaDataType::SRMetadataTypeUint32, 4),
    ("UINT64", SRMetaDataType::SRMetadataTypeUint64, 8),
];
const META_COUNT: usize = 5;
const LIST_LEN: usize = 5;
/// The list items' tensor: `TENSOR_TYPES[4]` (INT32, 7x3).
const ITEM_TENSOR: usize = 4;

fn strings() -> Vec<String> {
    vec![
        String::new(),
        "plain ascii".into(),
        "\u{fc}n\u{ef}c\u{f6}d\u{e9} \u{2713}".into(),
        "x".repeat(10000),
        "tab\tnew\nline".into(),
    ]
}

/// Element `i` of stream `seed`: 64 pseudo-random bits (`bits` in interop.py).
fn bits(i: usize, seed: u64) -> u64 {
    let mut x = (i as u64 + 1)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(seed.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 29)
}

/// `n` elements of `width` bytes, the low bytes of `bits(i, seed)`, in native (little-endian) order.
fn values(width: usize, n: usize, seed: u64) -> Vec<u8> {
    (0..n)
        .flat_map(|i| bits(i, seed).to_le_bytes()[..width].to_vec())
        .collect()
}

/// Tensor `k`'s row-major bytes for stream `seed`.
fn tensor(k: usize, seed: u64) -> Vec<u8> {
    let (_, _, w, shape) = TENSOR_TYPES[k];
    values(w, shape.iter().product(), seed)
}

/// Row-major bytes reordered column-major.
fn to_fortran(rm: &[u8], dims: &[usize], w: usize) -> Vec<u8> {
    let mut out = vec![0u8; rm.len()];
    let mut idx = vec![0usize; dims.len()];
    for flat in 0..rm.len() / w {
        let mut rem = flat;
        for d in (0..dims.len()).rev() {
            idx[d] = rem % dims[d];
            rem /= dims[d];
        }
        let cm = (0..dims.len())
            .rev()
            .fold(0, |acc, d| acc * dims[d] + idx[d]);
        out[cm * w..(cm + 1) * w].copy_from_slice(&rm[flat * w..(flat + 1) * w]);
    }
    out
}

/// An 8-byte aligned copy of `bytes` (C callers hand over typed, aligned memory).
struct Aligned(Vec<u64>, usize);

impl Aligned {
    fn new(bytes: &[u8]) -> Aligned {
        let mut v = vec![0u64; bytes.len().div_ceil(8)];
        // SAFETY: `v` has at least `bytes.len()` bytes; u64 has no invalid bit patterns.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), v.as_mut_ptr().cast::<u8>(), bytes.len())
        };
        Aligned(v, bytes.len())
    }
    fn zeroed(len: usize) -> Aligned {
        Aligned(vec![0u64; len.div_ceil(8)], len)
    }
    fn ptr(&mut self) -> *mut c_void {
        self.0.as_mut_ptr().cast()
    }
    fn bytes(&self) -> &[u8] {
        // SAFETY: the vector holds at least `self.1` initialised bytes.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().cast::<u8>(), self.1) }
    }
}

fn last_error() -> String {
    // SAFETY: SRGetLastError never returns NULL and the text is NUL-terminated.
    unsafe { CStr::from_ptr(SRGetLastError()) }
        .to_string_lossy()
        .into_owned()
}

#[track_caller]
fn ok(e: SRError, what: &str) {
    assert_eq!(e, SRError::SRNoError, "{what}: {}", last_error());
}

fn cs(s: &str) -> *const c_char {
    s.as_ptr().cast()
}

/// Copies `n` (pointer, length) strings handed out by the C API.
fn c_strings(data: *mut *mut c_char, lengths: *mut usize, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            // SAFETY: the C API returned `n` strings and `n` lengths, owned by the dataset (still alive).
            unsafe {
                std::slice::from_raw_parts(*data.add(i) as *const u8, *lengths.add(i)).to_vec()
            }
        })
        .collect()
}

/// A client made through the C API, deleted on drop.
struct CClient(*mut c_void);

impl CClient {
    fn new(ssdb: &str, cluster: bool, keyin: &str, keyout: &str, prefix: bool) -> CClient {
        let mut cfg = null_mut();
        ok(
            create_configoptions_from_environment(cs(""), 0, &mut cfg),
            "create_configoptions_from_environment",
        );
        let db_type = if cluster { "Clustered" } else { "Standalone" };
        for (k, v) in [
            ("SSDB", ssdb),
            ("SR_DB_TYPE", db_type),
            ("SSKEYIN", keyin),
            ("SSKEYOUT", keyout),
        ] {
            ok(
                override_string_option(cfg, cs(k), k.len(), cs(v), v.len()),
                "override_string_option",
            );
        }
        let mut c = null_mut();
        let name = "interop-rust";
        ok(
            CreateClient(cfg, cs(name), name.len(), &mut c),
            "CreateClient",
        );
        ok(sr_configoptions_free(&mut cfg), "sr_configoptions_free");
        ok(
            use_tensor_ensemble_prefix(c, prefix),
            "use_tensor_ensemble_prefix",
        );
        ok(
            use_dataset_ensemble_prefix(c, prefix),
            "use_dataset_ensemble_prefix",
        );
        ok(
            use_list_ensemble_prefix(c, prefix),
            "use_list_ensemble_prefix",
        );
        CClient(c)
    }

    fn key_exists(&self, key: &str) -> bool {
        let mut e = false;
        ok(key_exists(self.0, cs(key), key.len(), &mut e), "key_exists");
        e
    }
}

impl Drop for CClient {
    fn drop(&mut self) {
        ok(DeleteCClient(&mut self.0), "DeleteCClient");
    }
}

/// A dataset handle made through the C API, freed on drop.
struct CDataset(*mut c_void);

impl CDataset {
    fn new(name: &str) -> CDataset {
        let mut d = null_mut();
        ok(CDataSet(cs(name), name.len(), &mut d), "CDataSet");
        CDataset(d)
    }

    fn add_tensor(&self, name: &str, data: &[u8], dims: &[usize], t: SRTensorType, fortran: bool) {
        let (layout, bytes) = if fortran {
            let w = TENSOR_TYPES[t as usize - 1].2;
            (
                SRMemoryLayout::SRMemLayoutFortranContiguous,
                to_fortran(data, dims, w),
            )
        } else {
            (SRMemoryLayout::SRMemLayoutContiguous, data.to_vec())
        };
        let mut buf = Aligned::new(&bytes);
        ok(
            add_tensor(
                self.0,
                cs(name),
                name.len(),
                buf.ptr(),
                dims.as_ptr(),
                dims.len(),
                t as c_int,
                layout as c_int,
            ),
            "add_tensor",
        );
    }

    fn add_scalar(&self, name: &str, v: u64, t: SRMetaDataType) {
        // Little-endian: the value's low bytes, which narrower types read, come first.
        ok(
            add_meta_scalar(
                self.0,
                cs(name),
                name.len(),
                (&v as *const u64).cast(),
                t as c_int,
            ),
            "add_meta_scalar",
        );
    }

    fn add_string(&self, name: &str, s: &str) {
        ok(
            add_meta_string(self.0, cs(name), name.len(), cs(s), s.len()),
            "add_meta_string",
        );
    }

    fn name(&self) -> String {
        let (mut p, mut n) = (std::ptr::null(), 0usize);
        ok(
            sr_dataset_get_name(self.0, &mut p, &mut n),
            "sr_dataset_get_name",
        );
        // SAFETY: the dataset owns `n` bytes at `p`.
        String::from_utf8(unsafe { std::slice::from_raw_parts(p as *const u8, n) }.to_vec())
            .unwrap()
    }

    fn tensor_names(&self) -> Vec<Vec<u8>> {
        let (mut data, mut n, mut lens) = (null_mut(), 0usize, null_mut());
        ok(
            get_tensor_names(self.0, &mut data, &mut n, &mut lens),
            "get_tensor_names",
        );
        c_strings(data, lens, n)
    }

    fn field_names(&self) -> Vec<Vec<u8>> {
        let (mut data, mut n, mut lens) = (null_mut(), 0usize, null_mut());
        ok(
            get_metadata_field_names(self.0, &mut data, &mut n, &mut lens),
            "get_metadata_field_names",
        );
        c_strings(data, lens, n)
    }

    fn field_type(&self, name: &str) -> c_int {
        let mut t: c_int = 0;
        ok(
            get_metadata_field_type(self.0, cs(name), name.len(), &mut t),
            "get_metadata_field_type",
        );
        t
    }

    fn scalars(&self, name: &str) -> (c_int, Vec<u8>) {
        let (mut len, mut t, mut data): (usize, c_int, *mut c_void) = (0, 0, null_mut());
        ok(
            get_meta_scalars(self.0, cs(name), name.len(), &mut len, &mut t, &mut data),
            "get_meta_scalars",
        );
        let w = META_TYPES[t as usize - 1].2;
        // SAFETY: `len` values of `w` bytes at `data`, owned by the dataset.
        (
            t,
            unsafe { std::slice::from_raw_parts(data as *const u8, len * w) }.to_vec(),
        )
    }

    fn strings(&self, name: &str) -> Vec<Vec<u8>> {
        let (mut data, mut n, mut lens) = (null_mut(), 0usize, null_mut());
        ok(
            get_meta_strings(self.0, cs(name), name.len(), &mut data, &mut n, &mut lens),
            "get_meta_strings",
        );
        c_strings(data, lens, n)
    }

    /// Checks tensor `name` against row-major `expect` of type `k`: type, dims, `get_dataset_tensor` (row-major)
    /// and `unpack_dataset_tensor` (column-major).
    fn check_tensor(&self, name: &str, k: usize, expect: &[u8]) {
        let (_, t, w, shape) = TENSOR_TYPES[k];
        let mut tt: c_int = 0;
        ok(
            get_tensor_type(self.0, cs(name), name.len(), &mut tt),
            "get_tensor_type",
        );
        assert_eq!(tt, t as c_int, "type of {name}");
        let mut dims = [0usize; 8];
        let mut nd = dims.len();
        ok(
            get_tensor_dims(
                self.0,
                cs(name),
                name.len(),
                &mut dims.as_mut_ptr(),
                &mut nd,
            ),
            "get_tensor_dims",
        );
        assert_eq!(&dims[..nd], shape, "dims of {name}");
        let (mut data, mut dp, mut n, mut ty): (*mut c_void, *mut usize, usize, c_int) =
            (null_mut(), null_mut(), 0, 0);
        let layout = SRMemoryLayout::SRMemLayoutContiguous as c_int;
        ok(
            get_dataset_tensor(
                self.0,
                cs(name),
                name.len(),
                &mut data,
                &mut dp,
                &mut n,
                &mut ty,
                layout,
            ),
            "get_dataset_tensor",
        );
        assert_eq!(ty, t as c_int, "type of {name}");
        // SAFETY: the dataset owns `n` dims and the tensor's bytes.
        unsafe {
            assert_eq!(std::slice::from_raw_parts(dp, n), shape, "dims of {name}");
            assert!(
                std::slice::from_raw_parts(data as *const u8, expect.len()) == expect,
                "values of {name}"
            );
        }
        let mut buf = Aligned::zeroed(expect.len());
        let layout = SRMemoryLayout::SRMemLayoutFortranContiguous as c_int;
        ok(
            unpack_dataset_tensor(
                self.0,
                cs(name),
                name.len(),
                buf.ptr(),
                shape.as_ptr(),
                shape.len(),
                t as c_int,
                layout,
            ),
            "unpack_dataset_tensor",
        );
        assert!(
            buf.bytes() == to_fortran(expect, shape, w),
            "column-major values of {name}"
        );
    }
}

impl Drop for CDataset {
    fn drop(&mut self) {
        ok(DeallocateDataSet(&mut self.0), "DeallocateDataSet");
    }
}

/// Our side writes what `interop.py check` reads.
fn write_ours(c: &CClient, tag: &str) {
    for (k, (tname, t, w, shape)) in TENSOR_TYPES.iter().enumerate() {
        let rm = tensor(k, 100 + k as u64);
        for (suffix, layout, bytes) in [
            ("c", SRMemoryLayout::SRMemLayoutContiguous, rm.clone()),
            (
                "f",
                SRMemoryLayout::SRMemLayoutFortranContiguous,
                to_fortran(&rm, shape, *w),
            ),
        ] {
            let name = format!("{tag}_t_{tname}_{suffix}");
            let mut buf = Aligned::new(&bytes);
            ok(
                put_tensor(
                    c.0,
                    cs(&name),
                    name.len(),
                    buf.ptr(),
                    shape.as_ptr(),
                    shape.len(),
                    *t as c_int,
                    layout as c_int,
                ),
                "put_tensor",
            );
        }
    }
    let ds = CDataset::new(&format!("{tag}_ds"));
    for (k, (tname, t, _, shape)) in TENSOR_TYPES.iter().enumerate() {
        ds.add_tensor(
            &format!("t_{tname}"),
            &tensor(k, 200 + k as u64),
            shape,
            *t,
            k % 2 == 1,
        );
    }
    for (k, (mname, t, _)) in META_TYPES.iter().enumerate() {
        for i in 0..META_COUNT {
            ds.add_scalar(&format!("m_{mname}"), bits(i, 500 + k as u64), *t);
        }
    }
    for s in strings() {
        ds.add_string("strings", &s);
    }
    ds.add_string("one", "only");
    ok(put_dataset(c.0, ds.0), "put_dataset");
    let list = format!("{tag}_list");
    for i in 0..LIST_LEN {
        let item = CDataset::new(&format!("{tag}_item_{i}"));
        let (_, t, _, shape) = TENSOR_TYPES[ITEM_TENSOR];
        item.add_tensor("x", &tensor(ITEM_TENSOR, 700 + i as u64), shape, t, false);
        item.add_scalar("index", i as u64, SRMetaDataType::SRMetadataTypeInt64);
        item.add_string("label", &format!("item {i}"));
        ok(put_dataset(c.0, item.0), "put_dataset");
        ok(
            append_to_list(c.0, cs(&list), list.len(), item.0),
            "append_to_list",
        );
    }
}

fn check_item(ds: &CDataset, tag: &str, i: usize) {
    assert_eq!(ds.name(), format!("{tag}_item_{i}"), "list item {i}");
    ds.check_tensor("x", ITEM_TENSOR, &tensor(ITEM_TENSOR, 700 + i as u64));
    assert_eq!(
        ds.scalars("index"),
        (
            SRMetaDataType::SRMetadataTypeInt64 as c_int,
            (i as i64).to_le_bytes().to_vec()
        )
    );
    assert_eq!(ds.strings("label"), vec![format!("item {i}").into_bytes()]);
}

/// Takes ownership of a dataset array from the C API.
fn take_datasets(arr: *mut *mut c_void, n: usize) -> Vec<CDataset> {
    let mut out = Vec::new();
    for i in 0..n {
        // SAFETY: the array holds `n` dataset handles; each is moved out and its slot cleared.
        unsafe {
            out.push(CDataset(*arr.add(i)));
            *arr.add(i) = null_mut();
        }
    }
    let mut arr = arr;
    ok(sr_dataset_array_free(&mut arr, n), "sr_dataset_array_free");
    out
}

/// Our side reads what `interop.py write` wrote, through every getter of the C API.
fn check_ours(c: &CClient, tag: &str) {
    for (k, (tname, t, w, shape)) in TENSOR_TYPES.iter().enumerate() {
        let rm = tensor(k, 100 + k as u64);
        for suffix in ["c", "f"] {
            let name = format!("{tag}_t_{tname}_{suffix}");
            let mut e = false;
            ok(
                tensor_exists(c.0, cs(&name), name.len(), &mut e),
                "tensor_exists",
            );
            assert!(e, "{name} does not exist");
            let (mut data, mut dp, mut n, mut ty): (*mut c_void, *mut usize, usize, c_int) =
                (null_mut(), null_mut(), 0, 0);
            let layout = SRMemoryLayout::SRMemLayoutContiguous as c_int;
            ok(
                smartredis::ffi::client::get_tensor(
                    c.0,
                    cs(&name),
                    name.len(),
                    &mut data,
                    &mut dp,
                    &mut n,
                    &mut ty,
                    layout,
                ),
                "get_tensor",
            );
            assert_eq!(ty, *t as c_int, "type of {name}");
            // SAFETY: the client owns the dims and the data until it is deleted.
            unsafe {
                assert_eq!(std::slice::from_raw_parts(dp, n), *shape, "dims of {name}");
                assert!(
                    std::slice::from_raw_parts(data as *const u8, rm.len()) == rm.as_slice(),
                    "values of {name}"
                );
            }
            for (layout, expect) in [
                (SRMemoryLayout::SRMemLayoutContiguous, rm.clone()),
                (
                    SRMemoryLayout::SRMemLayoutFortranContiguous,
                    to_fortran(&rm, shape, *w),
                ),
            ] {
                let mut buf = Aligned::zeroed(rm.len());
                ok(
                    unpack_tensor(
                        c.0,
                        cs(&name),
                        name.len(),
                        buf.ptr(),
                        shape.as_ptr(),
                        shape.len(),
                        *t as c_int,
                        layout as c_int,
                    ),
                    "unpack_tensor",
                );
                assert!(
                    buf.bytes() == expect.as_slice(),
                    "{name} unpacked as {layout:?}"
                );
            }
        }
    }

    let name = format!("{tag}_ds");
    let mut d = null_mut();
    ok(
        get_dataset(c.0, cs(&name), name.len(), &mut d),
        "get_dataset",
    );
    let ds = CDataset(d);
    assert_eq!(ds.name(), name);
    let want: Vec<Vec<u8>> = TENSOR_TYPES
        .iter()
        .map(|t| format!("t_{}", t.0).into_bytes())
        .collect();
    assert_eq!(ds.tensor_names(), want, "tensor names");
    for (k, (tname, ..)) in TENSOR_TYPES.iter().enumerate() {
        ds.check_tensor(&format!("t_{tname}"), k, &tensor(k, 200 + k as u64));
    }
    let mut fields = ds.field_names();
    fields.sort();
    let mut want: Vec<Vec<u8>> = META_TYPES
        .iter()
        .map(|m| format!("m_{}", m.0).into_bytes())
        .collect();
    want.extend([b"one".to_vec(), b"strings".to_vec()]);
    want.sort();
    assert_eq!(fields, want, "metadata field names");
    for (k, (mname, t, w)) in META_TYPES.iter().enumerate() {
        let field = format!("m_{mname}");
        assert_eq!(ds.field_type(&field), *t as c_int, "type of {field}");
        assert_eq!(
            ds.scalars(&field),
            (*t as c_int, values(*w, META_COUNT, 500 + k as u64)),
            "{field}"
        );
    }
    assert_eq!(
        ds.field_type("strings"),
        SRMetaDataType::SRMetadataTypeString as c_int
    );
    let want: Vec<Vec<u8>> = strings().into_iter().map(String::into_bytes).collect();
    assert_eq!(ds.strings("strings"), want);
    assert_eq!(ds.strings("one"), vec![b"only".to_vec()]);

    let list = format!("{tag}_list");
    let mut len: c_int = 0;
    ok(
        get_list_length(c.0, cs(&list), list.len(), &mut len),
        "get_list_length",
    );
    assert_eq!(len as usize, LIST_LEN, "length of {list}");
    let (mut arr, mut n) = (null_mut(), 0usize);
    ok(
        get_datasets_from_list(c.0, cs(&list), list.len(), &mut arr, &mut n),
        "get_datasets_from_list",
    );
    let items = take_datasets(arr, n);
    assert_eq!(items.len(), LIST_LEN);
    for (i, item) in items.iter().enumerate() {
        check_item(item, tag, i);
    }
    for (start, end, first, count) in [(1, 3, 1, 3), (-2, -1, LIST_LEN - 2, 2)] {
        let (mut arr, mut n) = (null_mut(), 0usize);
        ok(
            get_dataset_list_range(c.0, cs(&list), list.len(), start, end, &mut arr, &mut n),
            "get_dataset_list_range",
        );
        let items = take_datasets(arr, n);
        assert_eq!(items.len(), count, "range {start}..={end}");
        for (j, item) in items.iter().enumerate() {
            check_item(item, tag, first + j);
        }
    }
}

/// The venv's Python with smartredis installed, creating the venv when missing; `None` when skipped.
fn python() -> Option<PathBuf> {
    static SETUP: Mutex<()> = Mutex::new(());
    if std::env::var("SR_SKIP_INTEROP").as_deref() == Ok("1") {
        // Straight to stderr: libtest captures `eprintln!` of passing tests, and this must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SR_SKIP_INTEROP=1: interoperability with the SmartRedis {PY_SMARTREDIS} Python client is NOT \
             TESTED ***\n"
        );
        return None;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join("build/venv");
    let _guard = SETUP.lock().unwrap_or_else(|p| p.into_inner());
    if !venv.join(format!(".smartredis-{PY_SMARTREDIS}")).exists() {
        let status = Command::new(root.join("scripts/setup-venv.sh"))
            .status()
            .expect("run scripts/setup-venv.sh");
        assert!(
            status.success(),
            "could not create build/venv with the SmartRedis {PY_SMARTREDIS} Python client from PyPI (see the \
             messages above); fix that, or set SR_SKIP_INTEROP=1 to skip these tests on a machine without network"
        );
    }
    Some(venv.join("bin/python"))
}

/// Runs `interop.py ARGS...` against `ssdb` with prefixes `keys` (SSKEYIN, SSKEYOUT; none when `None`) and the
/// ensemble prefix flags `prefix`; panics with its output when it fails.
fn run_python(
    py: &Path,
    args: &[&str],
    ssdb: &str,
    cluster: bool,
    keys: Option<(&str, &str)>,
    prefix: bool,
) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/interop.py");
    let mut cmd = Command::new(py);
    cmd.arg(&script)
        .args(args)
        .env("SSDB", ssdb)
        .env(
            "SR_DB_TYPE",
            if cluster { "Clustered" } else { "Standalone" },
        )
        .env("SR_INTEROP_PREFIX", if prefix { "1" } else { "0" })
        .env("SR_LOG_LEVEL", "QUIET")
        .env_remove("SSKEYIN")
        .env_remove("SSKEYOUT");
    if let Some((keyin, keyout)) = keys {
        cmd.env("SSKEYIN", keyin).env("SSKEYOUT", keyout);
    }
    let out = cmd.output().expect("run the Python client");
    assert!(
        out.status.success(),
        "interop.py {} failed ({}):\n{}{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The writer's prefix is `producer` (SSKEYOUT); the reader reads from it (SSKEYIN) and would write as `consumer`.
const WRITER_KEYS: (&str, &str) = ("producer", "producer");
const READER_KEYS: (&str, &str) = ("producer", "consumer");

/// Both prefix settings, one direction: writes under a fresh tag, reads it back on the other side, and checks
/// that the keys carry the prefix exactly when it is on.
fn exchange(ssdb: &str, cluster: bool, ours_write: bool) {
    let Some(py) = python() else { return };
    for prefix in [false, true] {
        let tag = format!(
            "{}{}",
            if ours_write { "rs" } else { "py" },
            u8::from(prefix)
        );
        let check = CClient::new(ssdb, cluster, READER_KEYS.0, READER_KEYS.1, false);
        if ours_write {
            let c = CClient::new(ssdb, cluster, WRITER_KEYS.0, WRITER_KEYS.1, prefix);
            write_ours(&c, &tag);
            run_python(
                &py,
                &["check", &tag],
                ssdb,
                cluster,
                Some(READER_KEYS),
                prefix,
            );
        } else {
            run_python(
                &py,
                &["write", &tag],
                ssdb,
                cluster,
                Some(WRITER_KEYS),
                prefix,
            );
            let c = CClient::new(ssdb, cluster, READER_KEYS.0, READER_KEYS.1, prefix);
            check_ours(&c, &tag);
        }
        let p = if prefix { "producer." } else { "" };
        for key in [
            format!("{tag}_t_DOUBLE_c"),
            format!("{{{tag}_ds}}.meta"),
            format!("{{{tag}_ds}}.t_INT8"),
            format!("{tag}_list"),
        ] {
            assert!(
                check.key_exists(&format!("{p}{key}")),
                "key {p}{key} missing"
            );
            if prefix {
                assert!(!check.key_exists(&key), "key {key} unprefixed");
            }
        }
    }
}

/// The add/mul model's inputs (`model_inputs` in interop.py): exact in `f32`, and so are their sum and product.
fn model_inputs() -> (Vec<f32>, Vec<f32>) {
    let a = (0..12).map(|i| i as f32 * 0.375 - 2.0).collect();
    let b = (0..12)
        .map(|i| ((i * 7) % 11) as f32 * 1.25 - 3.0)
        .collect();
    (a, b)
}

/// Models both ways: our C API writes the inputs and sets a model, the Python client sets, gets, runs and deletes
/// ONNX models and runs ours (`interop.py models`), then our C API reads the outputs back and gets and runs the
/// model the Python client set. In a cluster both clients keep a copy on every shard under CRC16-prefixed keys.
fn models(ssdb: &str, cluster: bool) {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let addmul = dir.path().join("addmul.onnx");
    std::fs::write(&addmul, testkit::onnx::add_mul(testkit::onnx::ty::FLOAT)).unwrap();
    let linear = dir.path().join("linear.onnx");
    let model = testkit::onnx::linear(&[1.0, -2.0, 0.5, 3.0, 4.0, -1.5], &[0.25, -0.75], 3, 2);
    std::fs::write(&linear, &model).unwrap();

    let c = CClient::new(ssdb, cluster, "", "", false);
    let tag = "models";
    let (a, b) = model_inputs();
    put_f32(&c, &format!("{tag}_a"), &a);
    put_f32(&c, &format!("{tag}_b"), &b);
    let name = format!("{tag}_linear_rs");
    let (backend, device) = ("ONNX", "CPU");
    ok(
        set_model(
            c.0,
            cs(&name),
            name.len(),
            model.as_ptr().cast(),
            model.len(),
            cs(backend),
            backend.len(),
            cs(device),
            device.len(),
            0,
            0,
            0,
            cs(""),
            0,
            null_mut(),
            std::ptr::null(),
            0,
            null_mut(),
            std::ptr::null(),
            0,
        ),
        "set_model",
    );

    let (am, lm) = (addmul.to_string_lossy(), linear.to_string_lossy());
    run_python(&py, &["models", tag, &am, &lm], ssdb, cluster, None, false);

    // The add/mul model the Python client set: its bytes, and a run of our own.
    let name = format!("{tag}_addmul");
    let (mut len, mut p) = (0usize, std::ptr::null());
    ok(
        get_model(c.0, cs(&name), name.len(), &mut len, &mut p),
        "get_model",
    );
    // SAFETY: the client owns `len` bytes at `p` until the next get_model of this name.
    let got = unsafe { std::slice::from_raw_parts(p as *const u8, len) };
    assert!(
        got == std::fs::read(&addmul).unwrap().as_slice(),
        "get_model of {name}"
    );
    let ins = [format!("{tag}_a"), format!("{tag}_b")];
    let outs = [format!("{tag}_sum_rs"), format!("{tag}_prod_rs")];
    let mut in_ptrs: Vec<*const c_char> = ins.iter().map(|s| cs(s)).collect();
    let in_lens: Vec<usize> = ins.iter().map(String::len).collect();
    let mut out_ptrs: Vec<*const c_char> = outs.iter().map(|s| cs(s)).collect();
    let out_lens: Vec<usize> = outs.iter().map(String::len).collect();
    ok(
        run_model(
            c.0,
            cs(&name),
            name.len(),
            in_ptrs.as_mut_ptr(),
            in_lens.as_ptr(),
            2,
            out_ptrs.as_mut_ptr(),
            out_lens.as_ptr(),
            2,
        ),
        "run_model",
    );

    let sum: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
    let prod: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x * y).collect();
    for (suffix, want) in [
        ("sum", &sum),
        ("prod", &prod),
        ("sum_rs", &sum),
        ("prod_rs", &prod),
    ] {
        let name = format!("{tag}_{suffix}");
        let want: Vec<u32> = want.iter().map(|x| x.to_bits()).collect();
        assert_eq!(unpack_bits(&c, &name), want, "{name}");
    }
}

/// Puts a `[3, 4]` float tensor through our C API.
fn put_f32(c: &CClient, name: &str, data: &[f32]) {
    let mut data = data.to_vec();
    ok(
        put_tensor(
            c.0,
            cs(name),
            name.len(),
            data.as_mut_ptr().cast(),
            [3usize, 4].as_ptr(),
            2,
            SRTensorType::SRTensorTypeFloat as c_int,
            SRMemoryLayout::SRMemLayoutContiguous as c_int,
        ),
        "put_tensor",
    );
}

/// Reads a `[3, 4]` float tensor through our C API, as bit patterns (every expected value is exact in `f32`).
fn unpack_bits(c: &CClient, name: &str) -> Vec<u32> {
    let mut got = vec![0f32; 12];
    ok(
        unpack_tensor(
            c.0,
            cs(name),
            name.len(),
            got.as_mut_ptr().cast(),
            [3usize, 4].as_ptr(),
            2,
            SRTensorType::SRTensorTypeFloat as c_int,
            SRMemoryLayout::SRMemLayoutContiguous as c_int,
        ),
        "unpack_tensor",
    );
    got.iter().map(|x| x.to_bits()).collect()
}

/// Runs script `name`'s `function` on one input into one output through our C API.
fn run_script1(c: &CClient, name: &str, function: &str, input: &str, output: &str) {
    let (mut ins, mut outs) = ([cs(input)], [cs(output)]);
    ok(
        run_script(
            c.0,
            cs(name),
            name.len(),
            cs(function),
            function.len(),
            ins.as_mut_ptr(),
            [input.len()].as_ptr(),
            1,
            outs.as_mut_ptr(),
            [output.len()].as_ptr(),
            1,
        ),
        "run_script",
    );
}

/// Scripts both ways, on `tests/data/data_processing_script.txt` (`pre_process(x) = 2x`, `post_process(y) = y + 1`):
/// our C API writes the input and sets a script; the Python client gets ours byte for byte and runs it, sets its own
/// copy and runs that (`interop.py scripts`); our C API then gets and runs the Python client's script and reads
/// every output. In a cluster both clients keep a copy on every shard under CRC16-prefixed keys.
fn scripts(ssdb: &str, cluster: bool) {
    let Some(py) = python() else { return };
    let file =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/data_processing_script.txt");
    let source = std::fs::read_to_string(&file).unwrap();
    let c = CClient::new(ssdb, cluster, "", "", false);
    let tag = "scripts";
    let (a, _) = model_inputs();
    put_f32(&c, &format!("{tag}_a"), &a);
    let (ours, device) = (format!("{tag}_script_rs"), "CPU");
    ok(
        set_script(
            c.0,
            cs(&ours),
            ours.len(),
            cs(device),
            device.len(),
            cs(&source),
            source.len(),
        ),
        "set_script",
    );

    run_python(
        &py,
        &["scripts", tag, &file.to_string_lossy()],
        ssdb,
        cluster,
        None,
        false,
    );

    // The script the Python client set: its source, and a run of our own.
    let theirs = format!("{tag}_script");
    let (mut p, mut len) = (std::ptr::null(), 0usize);
    ok(
        get_script(c.0, cs(&theirs), theirs.len(), &mut p, &mut len),
        "get_script",
    );
    // SAFETY: the client owns `len` bytes at `p` until the next get_script of this name.
    let got = unsafe { std::slice::from_raw_parts(p as *const u8, len) };
    assert!(got == source.as_bytes(), "get_script of {theirs}");
    run_script1(
        &c,
        &theirs,
        "pre_process",
        &format!("{tag}_a"),
        &format!("{tag}_pre_ours"),
    );

    let bits = |v: Vec<f32>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let twice = bits(a.iter().map(|x| 2.0 * x).collect());
    let plus_one = bits(a.iter().map(|x| x + 1.0).collect());
    for (suffix, want) in [
        ("pre_rs", &twice),
        ("post", &plus_one),
        ("pre_ours", &twice),
    ] {
        let name = format!("{tag}_{suffix}");
        assert_eq!(&unpack_bits(&c, &name), want, "{name}");
    }
    for name in [&ours, &theirs] {
        ok(delete_script(c.0, cs(name), name.len()), "delete_script");
    }
    for name in [&ours, &theirs] {
        let mut exists = true;
        ok(
            model_exists(c.0, cs(name), name.len(), &mut exists),
            "model_exists",
        );
        assert!(!exists, "{name} still exists after delete_script");
    }
}

/// The ONNX Runtime that `scripts/fetch-backends.sh` (part of `make deps`) put into the build tree.
fn backends_path() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("build/backends");
    assert!(
        p.join("redisai_onnxruntime/libonnxruntime.so").exists(),
        "ONNX Runtime is missing: run scripts/fetch-backends.sh (part of `make deps`)"
    );
    p
}

#[test]
fn standalone_models() {
    let server = RedisServer::options()
        .with_module()
        .module_args([
            "BACKENDSPATH".to_string(),
            backends_path().display().to_string(),
        ])
        .start();
    models(&server.addr(), false);
    scripts(&server.addr(), false);
}

#[test]
fn cluster_models() {
    let cluster = RedisCluster::start_with(3, |o| o.module(true).backends_path(backends_path()));
    models(&cluster.nodes[0].addr(), true);
    scripts(&cluster.nodes[0].addr(), true);
}

#[test]
fn standalone_ours_to_python() {
    let server = RedisServer::with_module();
    exchange(&server.addr(), false, true);
}

#[test]
fn standalone_python_to_ours() {
    let server = RedisServer::with_module();
    exchange(&server.addr(), false, false);
}

#[test]
fn cluster_ours_to_python() {
    let cluster = RedisCluster::with_module(3);
    exchange(&cluster.nodes[0].addr(), true, true);
}

#[test]
fn cluster_python_to_ours() {
    let cluster = RedisCluster::with_module(3);
    exchange(&cluster.nodes[0].addr(), true, false);
}
