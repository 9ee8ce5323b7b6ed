//! RDB loading of the module's types, the decoders the server's load path runs: a tensor (header, data, STRING
//! element offsets), a model's settings and chunked blob, a script's fields (`module/src/*/rdb.rs`), from values
//! framed as `rdb_input::SliceInput` reads them. The first byte picks the type and the encoding version.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smartredis_ai::rdb_input::SliceInput;
use smartredis_ai::{model, script, tensor};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let mut r = SliceInput(rest);
    let encver = i32::from(which >> 2) % 6;
    match which % 3 {
        0 => drop(tensor::rdb::decode_tensor(&mut r, encver)),
        1 => drop(model::rdb::decode_model(&mut r, encver)),
        _ => drop(script::rdb::decode_script(&mut r, encver)),
    }
});
