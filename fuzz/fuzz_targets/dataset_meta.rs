//! The dataset metadata decoder (`DataSet::from_serialized_fields`, what `get_dataset` reads from a metadata
//! hash): fields as `name\nvalue` records separated by 0xFF bytes, then the tensor names field is read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smartredis::DataSet;

fuzz_target!(|data: &[u8]| {
    let fields: Vec<(&[u8], &[u8])> = data
        .split(|&b| b == 0xff)
        .map(|rec| match rec.iter().position(|&b| b == b'\n') {
            Some(i) => (&rec[..i], &rec[i + 1..]),
            None => (rec, &[][..]),
        })
        .collect();
    if let Ok(ds) = DataSet::from_serialized_fields("fuzz", fields) {
        let _ = ds.tensor_names_field();
        let _ = ds.describe();
        for name in ds.metadata_field_names() {
            let _ = ds.metadata_field_type(name);
        }
    }
});
