//! The Fortran layer's tensor types agree with the protocol's type table: `include/enum_fortran.inc` (the
//! `SRTensorType` enumerators) and `src/fortran/gen_tensor_methods.py` (the Fortran kind behind each enumerator).

use std::collections::HashMap;
use std::path::Path;

use smartredis_protocol::tensor::{dlpack, TensorType};

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The protocol type a Fortran enumerator (`tensor_dbl`, `tensor_int8`, ...) names.
fn type_of_enumerator(name: &str) -> Option<TensorType> {
    let short = name.strip_prefix("tensor_")?.to_ascii_uppercase();
    let wire = match short.as_str() {
        "DBL" => "DOUBLE",
        "FLT" => "FLOAT",
        other => other,
    };
    TensorType::parse(wire.as_bytes())
}

/// `enumerator :: NAME = VALUE` lines of the `! SRTensorType` block.
fn fortran_enumerators(inc: &str) -> Vec<(String, i32)> {
    let block = inc
        .split("! SRTensorType")
        .nth(1)
        .expect("enum_fortran.inc has an SRTensorType block");
    let block = block.split("end enum").next().unwrap_or("");
    block
        .lines()
        .filter_map(|l| l.trim().strip_prefix("enumerator ::"))
        .map(|l| {
            let l = l.split('!').next().unwrap_or("");
            let (name, value) = l.split_once('=').expect("enumerator NAME = VALUE");
            let value = value.trim().parse().expect("an integer enumerator value");
            (name.trim().to_string(), value)
        })
        .collect()
}

/// `("sfx", "fortran type", "tensor_enumerator")` tuples of the generator's KINDS list.
fn generator_kinds(py: &str) -> Vec<(String, String)> {
    let list = py
        .split("KINDS = [")
        .nth(1)
        .expect("gen_tensor_methods.py has a KINDS list");
    let list = list.split("\n]").next().unwrap_or("");
    list.lines()
        .filter(|l| l.trim_start().starts_with('('))
        .map(|l| {
            let quoted: Vec<&str> = l.split('"').skip(1).step_by(2).collect();
            assert_eq!(quoted.len(), 3, "KINDS entry {l:?}");
            (quoted[1].to_string(), quoted[2].to_string())
        })
        .collect()
}

/// (is a float, bytes) of a Fortran interoperable type (`integer(kind=c_int16_t)`, `real(kind=c_double)`).
fn fortran_kind(ftype: &str) -> (bool, usize) {
    let kind = ftype
        .split("kind=")
        .nth(1)
        .and_then(|k| k.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no kind in {ftype:?}"));
    match kind {
        "c_int8_t" => (false, 1),
        "c_int16_t" => (false, 2),
        "c_int32_t" => (false, 4),
        "c_int64_t" => (false, 8),
        "c_float" => (true, 4),
        "c_double" => (true, 8),
        other => panic!("unknown Fortran kind {other}"),
    }
}

#[test]
fn enum_fortran_inc_matches_the_type_table() {
    let enumerators = fortran_enumerators(&read("include/enum_fortran.inc"));
    assert!(!enumerators.is_empty());
    let mut seen = Vec::new();
    for (name, value) in &enumerators {
        if name == "tensor_invalid" {
            assert_eq!(*value, -1, "tensor_invalid");
            continue;
        }
        let t = type_of_enumerator(name).unwrap_or_else(|| panic!("{name} names no tensor type"));
        let code = t
            .sr_code()
            .unwrap_or_else(|| panic!("{name}: {} is not in SmartRedis's SRTensorType", t.name()));
        // -1 marks a type Fortran cannot use; any other value must be the C enum's.
        assert!(
            *value == -1 || *value == code,
            "{name} = {value}, but SRTensorType has {} = {code}",
            t.name()
        );
        seen.push(t);
    }
    for t in TensorType::ALL
        .into_iter()
        .filter(|t| t.sr_code().is_some())
    {
        assert_eq!(
            seen.iter().filter(|&&s| s == t).count(),
            1,
            "enum_fortran.inc must list {} exactly once",
            t.name()
        );
    }
}

#[test]
fn generator_kinds_match_the_type_table() {
    let enumerators: HashMap<String, i32> = fortran_enumerators(&read("include/enum_fortran.inc"))
        .into_iter()
        .collect();
    let kinds = generator_kinds(&read("src/fortran/gen_tensor_methods.py"));
    assert!(!kinds.is_empty());
    let mut covered = Vec::new();
    for (ftype, enumerator) in &kinds {
        let value = *enumerators
            .get(enumerator)
            .unwrap_or_else(|| panic!("{enumerator} is not in enum_fortran.inc"));
        assert_ne!(
            value, -1,
            "{enumerator} is marked unsupported but has the kind {ftype}"
        );
        let t = type_of_enumerator(enumerator).unwrap_or_else(|| panic!("{enumerator}"));
        let (is_float, bytes) = fortran_kind(ftype);
        assert_eq!(
            (is_float, bytes),
            (t.is_float(), t.size()),
            "{ftype} does not hold {} elements",
            t.name()
        );
        // Fortran integers are signed.
        if !is_float {
            assert_eq!(
                t.dlpack().0,
                dlpack::INT,
                "{ftype} is signed, {} is not",
                t.name()
            );
        }
        covered.push(enumerator.as_str());
    }
    for (name, value) in &enumerators {
        if *value != -1 {
            assert_eq!(
                covered.iter().filter(|&&c| c == name).count(),
                1,
                "{name} needs exactly one Fortran kind in gen_tensor_methods.py"
            );
        }
    }
}
