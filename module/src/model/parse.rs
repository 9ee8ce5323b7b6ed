//! `AI.MODELSTORE`/`AI.MODELSET` and `AI.MODELEXECUTE`/`AI.MODELRUN` argument parsing, in RedisAI's validation
//! order and error texts (`src/redisai.c`, `src/execution/parsing/model_commands_parser.c`,
//! `src/execution/parsing/deprecated.c`). Argument slices are whole argv vectors, command name included.

use smartredis_protocol::commands::keyword::BLOB;
use smartredis_protocol::commands::model as kw;
use smartredis_protocol::Backend;

use super::ModelMeta;
use crate::tensor::parse::Arg;

/// A parse failure: Redis's own arity error, or a reply text.
#[derive(Debug, PartialEq)]
pub enum ParseError {
    /// `RedisModule_WrongArity`.
    Arity,
    /// An error reply, as sent.
    Msg(String),
}

fn err<T>(m: &str) -> Result<T, ParseError> {
    Err(ParseError::Msg(m.to_string()))
}

/// A parsed store command: the metadata and where the blob chunks start.
#[derive(Debug, PartialEq)]
pub struct StoreArgs {
    /// Store-time arguments.
    pub meta: ModelMeta,
    /// Index of the first blob chunk; every argument from there on is a chunk.
    pub blob_start: usize,
}

fn is(a: &impl Arg, kw: &str) -> bool {
    a.bytes().eq_ignore_ascii_case(kw.as_bytes())
}

fn text(a: &impl Arg) -> String {
    String::from_utf8_lossy(a.bytes()).into_owned()
}

/// `CPU`, `GPU`, `CPU:<digits>` or `GPU:<digits>`, shorter than 10 bytes (case-insensitive).
pub fn valid_device(d: &[u8]) -> bool {
    if d.eq_ignore_ascii_case(b"CPU") || d.eq_ignore_ascii_case(b"GPU") {
        return true;
    }
    d.len() < 10
        && d.len() > 4
        && (d[..4].eq_ignore_ascii_case(b"CPU:") || d[..4].eq_ignore_ascii_case(b"GPU:"))
        && d[4..].iter().all(u8::is_ascii_digit)
}

fn unsigned(a: Option<&impl Arg>) -> Option<u64> {
    a.and_then(Arg::to_i64).and_then(|v| u64::try_from(v).ok())
}

/// `TAG`, `BATCHSIZE`, `MINBATCHSIZE`, `MINBATCHTIMEOUT` in that order from `args[*i]`; `modelset` selects the
/// deprecated command's checks.
fn parse_options<A: Arg>(
    args: &[A],
    i: &mut usize,
    meta: &mut ModelMeta,
    modelset: bool,
) -> Result<(), ParseError> {
    let at = |i: usize, kw: &str| args.get(i).is_some_and(|a| is(a, kw));
    if at(*i, kw::TAG) {
        if let Some(t) = args.get(*i + 1) {
            meta.tag = t.bytes().to_vec();
            *i += 2;
        } else {
            *i += 1;
        }
    }
    if at(*i, kw::BATCHSIZE) {
        if modelset && meta.backend == Backend::Tflite {
            return err("ERR Auto-batching not supported by the TFLITE backend");
        }
        meta.batch_size = match unsigned(args.get(*i + 1)) {
            Some(v) => v,
            None => return err("ERR Invalid argument for BATCHSIZE"),
        };
        *i += 2;
    }
    if at(*i, kw::MINBATCHSIZE) {
        if modelset && meta.batch_size == 0 {
            return err("ERR MINBATCHSIZE specified without BATCHSIZE");
        }
        meta.min_batch_size = match unsigned(args.get(*i + 1)) {
            Some(v) => v,
            None => return err("ERR Invalid argument for MINBATCHSIZE"),
        };
        if meta.batch_size == 0 && meta.min_batch_size > 0 {
            return err("ERR MINBATCHSIZE specified without BATCHSIZE");
        }
        *i += 2;
    }
    if at(*i, kw::MINBATCHTIMEOUT) {
        if modelset && meta.batch_size == 0 {
            return err("ERR MINBATCHTIMEOUT specified without BATCHSIZE");
        }
        if modelset && meta.min_batch_size == 0 {
            return err("ERR MINBATCHTIMEOUT specified without MINBATCHSIZE");
        }
        meta.min_batch_timeout = match unsigned(args.get(*i + 1)) {
            Some(v) => v,
            None => return err("ERR Invalid argument for MINBATCHTIMEOUT"),
        };
        if meta.min_batch_size == 0 && meta.min_batch_timeout > 0 {
            return err("ERR MINBATCHTIMEOUT specified without MINBATCHSIZE");
        }
        *i += 2;
    }
    Ok(())
}

fn new_meta(backend: Backend, device: &[u8]) -> ModelMeta {
    ModelMeta {
        backend,
        device: String::from_utf8_lossy(device).into_owned(),
        tag: Vec::new(),
        batch_size: 0,
        min_batch_size: 0,
        min_batch_timeout: 0,
        inputs: Vec::new(),
        outputs: Vec::new(),
    }
}

/// `AI.MODELSTORE key backend device [TAG t] [BATCHSIZE n [MINBATCHSIZE m [MINBATCHTIMEOUT t]]]
/// [INPUTS n name... OUTPUTS n name...] BLOB chunk...` (reference §3.3, steps 1–7).
pub fn parse_modelstore<A: Arg>(args: &[A]) -> Result<StoreArgs, ParseError> {
    if args.len() < 6 {
        return Err(ParseError::Arity);
    }
    let backend = crate::backends::parse_kind(args[2].bytes())
        .ok_or_else(|| ParseError::Msg("ERR unsupported backend".into()))?;
    if !valid_device(args[3].bytes()) {
        return err("ERR Invalid DEVICE");
    }
    let mut meta = new_meta(backend, args[3].bytes());
    let mut i = 4;
    parse_options(args, &mut i, &mut meta, false)?;
    if i >= args.len() {
        return err("ERR Insufficient arguments, missing model BLOB");
    }
    let names = |i: &mut usize, n: u64, what: &str| -> Result<Vec<String>, ParseError> {
        if ((args.len() - *i) as u64) < n {
            return err(&format!(
                "ERR number of model {what} does not match the number of given arguments"
            ));
        }
        let v = args[*i..*i + n as usize].iter().map(text).collect();
        *i += n as usize;
        Ok(v)
    };
    if backend == Backend::Tf {
        if !is(&args[i], kw::INPUTS) {
            return err("ERR INPUTS not specified for TF");
        }
        let n = unsigned(args.get(i + 1)).filter(|&n| n > 0);
        let n = n.ok_or_else(|| ParseError::Msg("ERR Invalid argument for input_count".into()))?;
        i += 2;
        meta.inputs = names(&mut i, n, "inputs")?;
        if !args.get(i).is_some_and(|a| is(a, kw::OUTPUTS)) {
            return err("ERR OUTPUTS not specified for TF");
        }
        let n = unsigned(args.get(i + 1)).filter(|&n| n > 0);
        let n = n.ok_or_else(|| ParseError::Msg("ERR Invalid argument for output_count".into()))?;
        i += 2;
        meta.outputs = names(&mut i, n, "outputs")?;
    } else if is(&args[i], kw::INPUTS) {
        return err("ERR INPUTS argument should not be specified for this backend");
    }
    if !args.get(i).is_some_and(|a| is(a, BLOB)) {
        return err("ERR Invalid argument, expected BLOB");
    }
    if i + 1 >= args.len() {
        return err("ERR Insufficient arguments, missing model BLOB");
    }
    Ok(StoreArgs {
        meta,
        blob_start: i + 1,
    })
}

/// The deprecated `AI.MODELSET key backend device [TAG t] [BATCHSIZE n [MINBATCHSIZE m [MINBATCHTIMEOUT t]]]
/// [INPUTS name... OUTPUTS name...] BLOB chunk...` (reference §3.12): no counts, and backends other than TF
/// ignore INPUTS/OUTPUTS.
pub fn parse_modelset<A: Arg>(args: &[A]) -> Result<StoreArgs, ParseError> {
    if args.len() < 4 {
        return Err(ParseError::Arity);
    }
    let backend = crate::backends::parse_kind(args[2].bytes())
        .ok_or_else(|| ParseError::Msg("ERR unsupported backend".into()))?;
    let dev = args[3].bytes();
    const KEYWORDS: [&str; 7] = [
        kw::INPUTS,
        kw::OUTPUTS,
        kw::TAG,
        kw::BATCHSIZE,
        kw::MINBATCHSIZE,
        kw::MINBATCHTIMEOUT,
        BLOB,
    ];
    if dev.len() > 10 || KEYWORDS.iter().any(|k| is(&args[3], k)) {
        return err("ERR Invalid DEVICE");
    }
    let mut meta = new_meta(backend, dev);
    let mut i = 4;
    parse_options(args, &mut i, &mut meta, true)?;
    if i >= args.len() {
        return err("ERR Insufficient arguments, missing model BLOB");
    }
    let blob = (i..args.len()).find(|&j| is(&args[j], BLOB));
    let options = &args[i..blob.unwrap_or(args.len())];
    if backend == Backend::Tf {
        if options.is_empty() {
            return err("ERR Insufficient arguments, INPUTS and OUTPUTS not specified");
        }
        if !is(&options[0], kw::INPUTS) {
            return err("ERR INPUTS not specified");
        }
        let out = options.iter().position(|a| is(a, kw::OUTPUTS));
        let Some(out) = out else {
            return err("ERR OUTPUTS not specified");
        };
        meta.inputs = options[1..out].iter().map(text).collect();
        meta.outputs = options[out + 1..].iter().map(text).collect();
    }
    match blob {
        Some(b) if b + 1 < args.len() => Ok(StoreArgs {
            meta,
            blob_start: b + 1,
        }),
        _ => err("ERR Insufficient arguments, missing model BLOB"),
    }
}

/// A parsed run command: argv indices of the input and output keys, and the timeout.
#[derive(Debug, PartialEq)]
pub struct RunArgs {
    /// Input key positions.
    pub inputs: Vec<usize>,
    /// Output key positions.
    pub outputs: Vec<usize>,
    /// `TIMEOUT` in ms.
    pub timeout_ms: Option<i64>,
}

/// Arity message of `AI.MODELEXECUTE` (RedisAI's own text, upper case).
pub const EXECUTE_ARITY: &str = "ERR wrong number of arguments for 'AI.MODELEXECUTE' command";
/// Arity message of `AI.MODELRUN`.
pub const RUN_ARITY: &str = "ERR wrong number of arguments for 'AI.MODELRUN' command";

fn timeout_value(a: Option<&impl Arg>) -> Result<i64, ParseError> {
    match a {
        None => err("ERR No value provided for TIMEOUT"),
        Some(a) => match a.to_i64() {
            Some(t) if t > 0 => Ok(t),
            _ => err("ERR Invalid value for TIMEOUT"),
        },
    }
}

/// `AI.MODELEXECUTE key INPUTS n in... OUTPUTS m out... [TIMEOUT ms]` after the model lookup (reference §3.6,
/// steps 3–9), for a model with `ninputs` inputs and `noutputs` outputs.
pub fn parse_modelexecute<A: Arg>(
    args: &[A],
    ninputs: usize,
    noutputs: usize,
) -> Result<RunArgs, ParseError> {
    if !args.get(2).is_some_and(|a| is(a, kw::INPUTS)) {
        return err("ERR INPUTS not specified");
    }
    let n = args
        .get(3)
        .and_then(Arg::to_i64)
        .ok_or_else(|| ParseError::Msg("ERR Invalid argument for input_count".into()))?;
    if n <= 0 {
        return err("ERR Input count must be a positive integer");
    }
    if n as usize != ninputs {
        return err("Number of keys given as INPUTS here does not match model definition");
    }
    let n = n as usize;
    if args.len() < 4 + n {
        return err("ERR number of input keys to AI.MODELEXECUTE command does not match the number of given arguments");
    }
    let inputs: Vec<usize> = (4..4 + n).collect();
    let mut i = 4 + n;
    if !args.get(i).is_some_and(|a| is(a, kw::OUTPUTS)) {
        return err("ERR OUTPUTS not specified");
    }
    let m = args
        .get(i + 1)
        .and_then(Arg::to_i64)
        .ok_or_else(|| ParseError::Msg("ERR Invalid argument for output_count".into()))?;
    if m <= 0 {
        return err("ERR Output count must be a positive integer");
    }
    if m as usize != noutputs {
        return err("Number of keys given as OUTPUTS here does not match model definition");
    }
    let m = m as usize;
    i += 2;
    if args.len() < i + m {
        return err("ERR number of output keys to AI.MODELEXECUTE command does not match the number of given arguments");
    }
    let outputs: Vec<usize> = (i..i + m).collect();
    i += m;
    let mut timeout_ms = None;
    if let Some(a) = args.get(i) {
        if !is(a, kw::TIMEOUT) {
            return err(&format!("Invalid argument: {}", text(a)));
        }
        timeout_ms = Some(timeout_value(args.get(i + 1))?);
        if let Some(extra) = args.get(i + 2) {
            return err(&format!("Invalid argument: {}", text(extra)));
        }
    }
    Ok(RunArgs {
        inputs,
        outputs,
        timeout_ms,
    })
}

/// The deprecated `AI.MODELRUN key [TIMEOUT t] INPUTS in... OUTPUTS out...` after the model lookup (reference
/// §3.12); the caller has checked `argc >= 6`.
pub fn parse_modelrun<A: Arg>(
    args: &[A],
    ninputs: usize,
    noutputs: usize,
) -> Result<RunArgs, ParseError> {
    let mut i = 2;
    let mut timeout_ms = None;
    if args.get(i).is_some_and(|a| is(a, kw::TIMEOUT)) {
        timeout_ms = Some(match args.get(i + 1).and_then(Arg::to_i64) {
            Some(t) if t > 0 => t,
            _ => return err("ERR Invalid value for TIMEOUT"),
        });
        i += 2;
    }
    if !args.get(i).is_some_and(|a| is(a, kw::INPUTS)) {
        return err("ERR INPUTS not specified");
    }
    let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
    let mut in_outputs = false;
    for (j, a) in args.iter().enumerate().skip(i + 1) {
        if !in_outputs && is(a, kw::OUTPUTS) {
            in_outputs = true;
        } else if in_outputs {
            outputs.push(j);
        } else {
            inputs.push(j);
        }
    }
    if inputs.len() != ninputs {
        return err("Number of keys given as INPUTS here does not match model definition");
    }
    if outputs.len() != noutputs {
        return err("Number of keys given as OUTPUTS here does not match model definition");
    }
    Ok(RunArgs {
        inputs,
        outputs,
        timeout_ms,
    })
}

/// Key positions of `AI.MODELEXECUTE` for cluster routing: the model, the inputs and the outputs (as far as the
/// counts can be read).
pub fn modelexecute_keys<A: Arg>(args: &[A]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut i = 2;
    for k in [kw::INPUTS, kw::OUTPUTS] {
        if !args.get(i).is_some_and(|a| is(a, k)) {
            break;
        }
        let Some(n) = args.get(i + 1).and_then(Arg::to_i64).filter(|&n| n > 0) else {
            break;
        };
        let end = (i + 2 + n as usize).min(args.len());
        keys.extend(i + 2..end);
        i = end;
    }
    keys.retain(|&k| k < args.len());
    keys
}

/// Key positions of `AI.MODELRUN`: the model and every input and output name.
pub fn modelrun_keys<A: Arg>(args: &[A]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut i = 2;
    if args.get(i).is_some_and(|a| is(a, kw::TIMEOUT)) {
        i += 2;
    }
    if args.get(i).is_some_and(|a| is(a, kw::INPUTS)) {
        let mut seen_outputs = false;
        for (j, a) in args.iter().enumerate().skip(i + 1) {
            if !seen_outputs && is(a, kw::OUTPUTS) {
                seen_outputs = true;
            } else {
                keys.push(j);
            }
        }
    }
    keys.retain(|&k| k < args.len());
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    struct S(&'static str);
    impl Arg for S {
        fn bytes(&self) -> &[u8] {
            self.0.as_bytes()
        }
        fn to_i64(&self) -> Option<i64> {
            self.0.parse().ok()
        }
        fn to_f64(&self) -> Option<f64> {
            self.0.parse().ok()
        }
    }

    fn v(s: &'static str) -> Vec<S> {
        s.split(' ').map(S).collect()
    }

    fn store(s: &'static str) -> Result<StoreArgs, ParseError> {
        parse_modelstore(&v(s))
    }

    fn msg(e: Result<impl std::fmt::Debug, ParseError>) -> String {
        match e {
            Err(ParseError::Msg(m)) => m,
            other => panic!("expected an error message, got {other:?}"),
        }
    }

    #[test]
    fn devices() {
        for ok in ["CPU", "gpu", "CPU:0", "GPU:12345"] {
            assert!(valid_device(ok.as_bytes()), "{ok}");
        }
        for bad in ["CPU:", "CPU::", "CPU:1.8", "CPU:123456", "TPU", "CPU0"] {
            assert!(!valid_device(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn modelstore() {
        let a = store(
            "AI.MODELSTORE m onnx CPU TAG t BATCHSIZE 4 MINBATCHSIZE 2 MINBATCHTIMEOUT 7 BLOB x y",
        )
        .unwrap();
        assert_eq!(a.meta.backend, Backend::Onnx);
        assert_eq!(a.meta.tag, b"t");
        assert_eq!(
            (
                a.meta.batch_size,
                a.meta.min_batch_size,
                a.meta.min_batch_timeout
            ),
            (4, 2, 7)
        );
        assert_eq!(a.blob_start, 13);
        assert_eq!(
            store("AI.MODELSTORE m ONNX CPU BLOB"),
            Err(ParseError::Arity)
        );
        assert_eq!(
            msg(store("AI.MODELSTORE m XX CPU BLOB x")),
            "ERR unsupported backend"
        );
        assert_eq!(
            msg(store("AI.MODELSTORE m ONNX CPU:x BLOB x")),
            "ERR Invalid DEVICE"
        );
        assert_eq!(
            msg(store("AI.MODELSTORE m ONNX CPU BATCHSIZE -1 BLOB x")),
            "ERR Invalid argument for BATCHSIZE"
        );
        assert_eq!(
            msg(store("AI.MODELSTORE m ONNX CPU MINBATCHSIZE 2 BLOB x")),
            "ERR MINBATCHSIZE specified without BATCHSIZE"
        );
        assert_eq!(
            msg(store(
                "AI.MODELSTORE m ONNX CPU BATCHSIZE 2 MINBATCHTIMEOUT 2 BLOB x"
            )),
            "ERR MINBATCHTIMEOUT specified without MINBATCHSIZE"
        );
        assert_eq!(
            msg(store("AI.MODELSTORE m ONNX CPU BATCHSIZE 2 TAG t BLOB")),
            "ERR Invalid argument, expected BLOB"
        );
        assert_eq!(
            msg(store("AI.MODELSTORE m ONNX CPU TAG t BATCHSIZE 2")),
            "ERR Insufficient arguments, missing model BLOB"
        );
        assert_eq!(
            msg(store("AI.MODELSTORE m ONNX CPU INPUTS 1 a BLOB x")),
            "ERR INPUTS argument should not be specified for this backend"
        );
        assert_eq!(
            msg(store("AI.MODELSTORE m TF CPU BLOB x y")),
            "ERR INPUTS not specified for TF"
        );
        assert_eq!(
            msg(store("AI.MODELSTORE m TF CPU INPUTS 0 BLOB x")),
            "ERR Invalid argument for input_count"
        );
        let tf = store("AI.MODELSTORE m TF CPU INPUTS 2 a b OUTPUTS 1 c BLOB x").unwrap();
        assert_eq!(tf.meta.inputs, vec!["a", "b"]);
        assert_eq!(tf.meta.outputs, vec!["c"]);
        assert_eq!(
            msg(store("AI.MODELSTORE m TF CPU INPUTS 1 a OUTPUTS 3 c BLOB")),
            "ERR number of model outputs does not match the number of given arguments"
        );
    }

    #[test]
    fn modelset() {
        let a = parse_modelset(&v("AI.MODELSET m ONNX CPU INPUTS a OUTPUTS b BLOB x")).unwrap();
        assert_eq!(a.blob_start, 9);
        assert!(a.meta.inputs.is_empty());
        assert_eq!(
            msg(parse_modelset(&v("AI.MODELSET m ONNX BLOB x"))),
            "ERR Invalid DEVICE"
        );
        assert_eq!(
            msg(parse_modelset(&v("AI.MODELSET m ONNX CPU INPUTS a"))),
            "ERR Insufficient arguments, missing model BLOB"
        );
        assert_eq!(
            msg(parse_modelset(&v(
                "AI.MODELSET m TFLITE CPU BATCHSIZE 2 BLOB x"
            ))),
            "ERR Auto-batching not supported by the TFLITE backend"
        );
        let tf = parse_modelset(&v("AI.MODELSET m TF CPU INPUTS a b OUTPUTS c BLOB x")).unwrap();
        assert_eq!(tf.meta.inputs, vec!["a", "b"]);
        assert_eq!(tf.meta.outputs, vec!["c"]);
    }

    #[test]
    fn modelexecute() {
        let ex = |s| parse_modelexecute(&v(s), 2, 1);
        let a = ex("AI.MODELEXECUTE m INPUTS 2 a b OUTPUTS 1 c TIMEOUT 5").unwrap();
        assert_eq!(a.inputs, vec![4, 5]);
        assert_eq!(a.outputs, vec![8]);
        assert_eq!(a.timeout_ms, Some(5));
        assert_eq!(
            msg(ex("AI.MODELEXECUTE m TIMEOUT 5 INPUTS 2 a b")),
            "ERR INPUTS not specified"
        );
        assert_eq!(
            msg(ex("AI.MODELEXECUTE m INPUTS x a b OUTPUTS 1 c")),
            "ERR Invalid argument for input_count"
        );
        assert_eq!(
            msg(ex("AI.MODELEXECUTE m INPUTS 0 a b OUTPUTS 1 c")),
            "ERR Input count must be a positive integer"
        );
        assert_eq!(
            msg(ex("AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 c d")),
            "Number of keys given as INPUTS here does not match model definition"
        );
        assert_eq!(
            msg(ex("AI.MODELEXECUTE m INPUTS 2 a b c OUTPUTS 1 c")),
            "ERR OUTPUTS not specified"
        );
        assert_eq!(
            msg(ex("AI.MODELEXECUTE m INPUTS 2 a b OUTPUTS -1 c")),
            "ERR Output count must be a positive integer"
        );
        assert_eq!(
            msg(ex("AI.MODELEXECUTE m INPUTS 2 a b OUTPUTS z c")),
            "ERR Invalid argument for output_count"
        );
        assert_eq!(
            msg(ex("AI.MODELEXECUTE m INPUTS 2 a b OUTPUTS 2 c d")),
            "Number of keys given as OUTPUTS here does not match model definition"
        );
        assert_eq!(
            msg(ex("AI.MODELEXECUTE m INPUTS 2 a b OUTPUTS 1 c TIMEOUT")),
            "ERR No value provided for TIMEOUT"
        );
        assert_eq!(
            msg(ex("AI.MODELEXECUTE m INPUTS 2 a b OUTPUTS 1 c TIMEOUT 0")),
            "ERR Invalid value for TIMEOUT"
        );
        assert_eq!(
            msg(ex("AI.MODELEXECUTE m INPUTS 2 a b OUTPUTS 1 c FOO")),
            "Invalid argument: FOO"
        );
        assert_eq!(
            msg(ex("AI.MODELEXECUTE m INPUTS 2 a b OUTPUTS 1 c TIMEOUT 3 X")),
            "Invalid argument: X"
        );
        assert_eq!(
            msg(parse_modelexecute(
                &v("AI.MODELEXECUTE m INPUTS 3 a b OUTPUTS 1"),
                3,
                1
            )),
            "ERR OUTPUTS not specified"
        );
        assert_eq!(
            modelexecute_keys(&v("AI.MODELEXECUTE m INPUTS 2 a b OUTPUTS 1 c TIMEOUT 3")),
            vec![1, 4, 5, 8]
        );
    }

    #[test]
    fn modelrun() {
        let a = parse_modelrun(&v("AI.MODELRUN m TIMEOUT 9 INPUTS a b OUTPUTS c"), 2, 1).unwrap();
        assert_eq!(
            (a.inputs, a.outputs, a.timeout_ms),
            (vec![5, 6], vec![8], Some(9))
        );
        assert_eq!(
            msg(parse_modelrun(&v("AI.MODELRUN m INPUTS a OUTPUTS c"), 2, 1)),
            "Number of keys given as INPUTS here does not match model definition"
        );
        assert_eq!(
            msg(parse_modelrun(&v("AI.MODELRUN m FOO a OUTPUTS c"), 1, 1)),
            "ERR INPUTS not specified"
        );
        assert_eq!(
            modelrun_keys(&v("AI.MODELRUN m INPUTS a b OUTPUTS c")),
            vec![1, 3, 4, 6]
        );
    }
}
