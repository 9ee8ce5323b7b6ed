//! The committed test models under `tests/data/` and the results their own frameworks computed for fixed inputs
//! (written by `scripts/models/make_tf_models.py` and `make_tflite_models.py`): TF's raw little-endian float32
//! files (`tests/data/tf/*.f32`) and TFLITE's `.expected` text files, which a store's results are compared with.

use std::path::{Path, PathBuf};

/// `<workspace>/tests/data/<name>`.
pub fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name)
}

/// The bytes of `tests/data/<name>`; panics naming the file.
pub fn read(name: &str) -> Vec<u8> {
    std::fs::read(data_path(name)).unwrap_or_else(|e| panic!("tests/data/{name}: {e}"))
}

/// The float32 values of a raw little-endian file `tests/data/<name>`.
pub fn read_f32(name: &str) -> Vec<f32> {
    read(name)
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// One tensor of an `.expected` file.
#[derive(Clone, Debug)]
pub struct Named {
    /// The signature's name for it.
    pub name: String,
    /// Its dimensions.
    pub dims: Vec<i64>,
    /// Its values, row-major.
    pub values: Vec<f32>,
}

impl Named {
    /// The dimensions as `usize` (the client's form).
    pub fn dims_usize(&self) -> Vec<usize> {
        self.dims.iter().map(|&d| d as usize).collect()
    }
}

/// The key for each tensor of `tensors`: `key(name)`.
pub fn keys(tensors: &[Named], key: impl Fn(&str) -> String) -> Vec<String> {
    tensors.iter().map(|t| key(&t.name)).collect()
}

/// Inputs and the outputs LiteRT computed for them, in the model's signature order.
#[derive(Clone, Debug)]
pub struct Expected {
    /// The inputs given.
    pub inputs: Vec<Named>,
    /// The outputs LiteRT computed.
    pub outputs: Vec<Named>,
}

/// Parses `tests/data/<model>.expected`: pairs of lines `input|output <name> <dims...>` and the values.
pub fn expected(model: &str) -> Expected {
    let file = format!("{model}.expected");
    let text = String::from_utf8(read(&file)).expect("UTF-8 .expected file");
    let mut e = Expected {
        inputs: Vec::new(),
        outputs: Vec::new(),
    };
    let mut lines = text.lines();
    while let Some(head) = lines.next() {
        let mut w = head.split_whitespace();
        let kind = w.next().unwrap_or_default();
        let name = w.next().unwrap_or_default().to_string();
        let dims = w.map(|d| d.parse().expect("dimension")).collect();
        let values = lines
            .next()
            .unwrap_or_else(|| panic!("{file}: values missing after {head:?}"))
            .split_whitespace()
            .map(|v| v.parse().expect("value"))
            .collect();
        let t = Named { name, dims, values };
        match kind {
            "input" => e.inputs.push(t),
            "output" => e.outputs.push(t),
            _ => panic!("{file}: bad line {head:?}"),
        }
    }
    e
}

/// Panics unless every element of `got` is within `tol` (relative, plus `tol` absolute) of `want`.
pub fn assert_close_within(got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "element count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "element {i}: {g} vs {w}"
        );
    }
}

/// `x @ W + b` of the committed `linear_6x4` models (`x` rows of 6, 4 outputs): W[i][j] = 0.1 (i+1) - 0.05 j,
/// b[j] = 0.5 j.
pub fn linear_6x4(x: &[f32]) -> Vec<f32> {
    x.chunks(6)
        .flat_map(|row| {
            (0..4).map(move |j| {
                let s: f32 = row
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v * (0.1 * (i + 1) as f32 - 0.05 * j as f32))
                    .sum();
                s + 0.5 * j as f32
            })
        })
        .collect()
}
