//! The module's command parsers (AI.TENSORSET/TENSORGET, MODELSTORE/SET/EXECUTE/RUN, SCRIPTSTORE/SET/EXECUTE/RUN):
//! the first byte picks the parser, the rest are the arguments, separated by newlines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smartredis_ai::model::parse as model;
use smartredis_ai::script::parse as script;
use smartredis_ai::tensor::parse::{self as tensor, Arg};

/// One argument, parsed as Redis parses numbers (strict decimal integers; doubles without NaN).
struct A<'a>(&'a [u8]);

impl Arg for A<'_> {
    fn bytes(&self) -> &[u8] {
        self.0
    }
    fn to_i64(&self) -> Option<i64> {
        let s = std::str::from_utf8(self.0).ok()?;
        if s.starts_with('+') || (s.len() > 1 && s.starts_with('0')) {
            return None;
        }
        s.parse().ok()
    }
    fn to_f64(&self) -> Option<f64> {
        std::str::from_utf8(self.0)
            .ok()?
            .parse::<f64>()
            .ok()
            .filter(|v| !v.is_nan())
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    // The server's own cap on zero-filled tensors, kept small so that the fuzzer explores parsing, not memset.
    smartredis_ai::config::get().tensor_zero_fill_max = 1 << 16;
    let args: Vec<A> = rest.split(|&b| b == b'\n').map(A).collect();
    let n = usize::from(which >> 4);
    match which % 10 {
        0 => drop(tensor::parse_tensorset(&args)),
        1 => drop(tensor::parse_tensorget_format(&args)),
        2 => drop(model::parse_modelstore(&args)),
        3 => drop(model::parse_modelset(&args)),
        4 => drop(model::parse_modelexecute(&args, n % 4, n / 4)),
        5 => drop(model::parse_modelrun(&args, n % 4, n / 4)),
        6 => drop(script::parse_scriptstore(&args)),
        7 => drop(script::parse_scriptset(&args)),
        8 => drop(script::parse_scriptexecute(&args, n % 2 == 1)),
        _ => drop(script::parse_scriptrun(&args)),
    }
});
