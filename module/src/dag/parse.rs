//! DAG command parsing in RedisAI 1.2.7's validation order and error texts (`src/execution/parsing/dag_parser.c`,
//! `src/execution/parsing/deprecated.c`, `src/execution/DAG/dag_builder.c`): the prefix keywords, then each op,
//! then the DAG-local names (every op input must be loaded or produced earlier), then the `PERSIST` names.

use std::collections::HashMap;
use std::ops::Range;
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::Duration;

use redis_module::{Context, RedisError, RedisString};
use smartredis_protocol::commands as names;
use smartredis_protocol::commands::dag as kw;
use smartredis_protocol::commands::model::TIMEOUT;

use super::{Dag, ModelRunner, Op, OpState, Runner};
use crate::commands::model::{lookup_model, parse_error};
use crate::model::parse::{self as model_parse, RunArgs};
use crate::script::parse as script_parse;
use crate::script::ScriptRunner;
use crate::tensor::parse::{msg, parse_tensorget_format, parse_tensorset, Arg, DataSource};
use crate::tensor::rdb::TENSOR_TYPE;
use crate::tensor::tensor::{HeldString, Tensor, TensorData};

/// Which DAG command is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `AI.DAGEXECUTE`.
    Execute,
    /// `AI.DAGEXECUTE_RO`.
    ExecuteRo,
    /// Deprecated `AI.DAGRUN`.
    Run,
    /// Deprecated `AI.DAGRUN_RO`.
    RunRo,
}

impl Kind {
    fn read_only(self) -> bool {
        matches!(self, Kind::ExecuteRo | Kind::RunRo)
    }

    fn deprecated(self) -> bool {
        matches!(self, Kind::Run | Kind::RunRo)
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Execute => kw::DAGEXECUTE,
            Kind::ExecuteRo => kw::DAGEXECUTE_RO,
            Kind::Run => kw::DAGRUN,
            Kind::RunRo => kw::DAGRUN_RO,
        }
    }
}

/// `ERR TIMEOUT not allowed within a DAG command`.
pub const OP_TIMEOUT: &str = "ERR TIMEOUT not allowed within a DAG command";
/// An op input that is neither loaded nor produced by an earlier op.
pub const INPUT_NOT_FOUND: &str = "ERR INPUT key cannot be found in DAG";
/// A PERSIST name no op produces and LOAD does not bring.
pub const PERSIST_NOT_FOUND: &str = "ERR PERSIST key cannot be found in DAG";

fn err<T>(m: impl Into<String>) -> Result<T, RedisError> {
    Err(RedisError::String(m.into()))
}

fn is(a: &impl Arg, k: &str) -> bool {
    a.bytes().eq_ignore_ascii_case(k.as_bytes())
}

/// The prefix (before the first `|>`) and the argv ranges of the ops, each range starting at the op's command name.
struct Prefix {
    loaded: Vec<(Vec<u8>, Tensor)>,
    persist: Vec<Vec<u8>>,
    timeout_ms: Option<i64>,
    ops: Vec<Range<usize>>,
}

/// `LOAD`/`PERSIST`/`ROUTING`/`TIMEOUT` in any order, each once, then the `|>`-separated ops (RedisAI
/// `DAGInitialParsing`). `load` reads a LOAD key from the keyspace.
fn parse_prefix<A: Arg>(
    args: &[A],
    kind: Kind,
    mut load: impl FnMut(&A) -> Result<Tensor, RedisError>,
) -> Result<Prefix, RedisError> {
    let n = args.len();
    let mut p = Prefix {
        loaded: Vec::new(),
        persist: Vec::new(),
        timeout_ms: None,
        ops: Vec::new(),
    };
    let (mut load_done, mut persist_done, mut routing_done, mut timeout_done) =
        (false, false, false, false);
    let mut pos = 1;
    while pos < n {
        let tok = &args[pos];
        let prefix = p.ops.is_empty();
        if prefix && !load_done && is(tok, kw::LOAD) {
            if n - pos < 3 {
                return err("ERR missing arguments after LOAD keyword in DAG command");
            }
            let count = match args[pos + 1].to_i64() {
                Some(c) if c > 0 => c as usize,
                _ => return err("ERR invalid or negative value found in number of keys to LOAD"),
            };
            let mut got = 0;
            for key in args[pos + 2..].iter().take(count) {
                let t = load(key)?;
                p.loaded.push((key.bytes().to_vec(), t));
                got += 1;
            }
            if got != count {
                return err("ERR number of keys to LOAD into DAG does not match the number of given arguments");
            }
            pos += count + 2;
            load_done = true;
        } else if prefix && !persist_done && is(tok, kw::PERSIST) {
            if kind.read_only() {
                return err("ERR PERSIST cannot be specified in a read-only DAG");
            }
            if n - pos < 3 {
                return err("ERR missing arguments after PERSIST keyword in DAG command");
            }
            let count = match args[pos + 1].to_i64() {
                Some(c) if c > 0 => c as usize,
                _ => {
                    return err("ERR invalid or negative value found in number of keys to PERSIST")
                }
            };
            let mut got = 0;
            for key in args[pos + 2..].iter().take(count) {
                if p.persist.iter().any(|k| k == key.bytes()) {
                    return err("ERR PERSIST keys must be unique");
                }
                p.persist.push(key.bytes().to_vec());
                got += 1;
            }
            if got != count {
                return err("ERR number of keys to PERSIST after DAG execution does not match the number of given arguments");
            }
            pos += count + 2;
            persist_done = true;
        } else if prefix && !routing_done && is(tok, kw::ROUTING) {
            if pos + 1 == n {
                return err("ERR Missing ROUTING value");
            }
            // In an OSS cluster the key's slot is checked by Redis itself (the command reports it as a key).
            pos += 2;
            routing_done = true;
        } else if prefix && !timeout_done && is(tok, TIMEOUT) {
            if n - pos < 2 {
                return err("ERR No value provided for TIMEOUT");
            }
            // RedisAI compares the pointer, not the value, with 0 here and so accepts `TIMEOUT 0` and negative
            // values (a DAG that always times out); we refuse them as its MODELEXECUTE does.
            match args[pos + 1].to_i64() {
                Some(t) if t > 0 => p.timeout_ms = Some(t),
                _ => return err("ERR Invalid value for TIMEOUT"),
            }
            pos += 2;
            timeout_done = true;
        } else if is(tok, kw::CHAIN) && pos < n - 1 {
            let start = pos + 1;
            pos = start;
            while pos < n && !is(&args[pos], kw::CHAIN) {
                pos += 1;
            }
            p.ops.push(start..pos);
        } else {
            return err(format!(
                "ERR Invalid DAG command. Unexpected argument:  {}",
                String::from_utf8_lossy(tok.bytes())
            ));
        }
    }
    if !kind.deprecated() && !load_done && !persist_done && !routing_done {
        return err("ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of ROUTING, LOAD, PERSIST keywords");
    }
    if p.ops.is_empty() {
        return err("ERR DAG is empty");
    }
    Ok(p)
}

/// An op before its names are resolved to slots.
enum Parsed {
    Set(Vec<u8>, Tensor),
    Get(Vec<u8>, crate::tensor::parse::GetFormat),
    Run {
        runner: Box<dyn Runner>,
        inputs: Vec<Vec<u8>>,
        outputs: Vec<Vec<u8>>,
    },
}

/// Parses a DAG command on the main thread: reads the LOAD tensors, the models (and scripts) of the ops and
/// builds the TENSORSET tensors. The error is the whole reply.
pub fn parse(ctx: &Context, args: &[RedisString], kind: Kind) -> Result<Dag, RedisError> {
    if kind.deprecated() {
        if args.len() < 4 {
            return err(format!(
                "ERR wrong number of arguments for '{}' command",
                kind.name()
            ));
        }
    } else if args.len() < 6 {
        return err(format!(
            "ERR missing arguments for '{}' command",
            kind.name()
        ));
    }
    let prefix = parse_prefix(args, kind, |key| load_tensor(ctx, key))?;
    let mut parsed = Vec::with_capacity(prefix.ops.len());
    for r in &prefix.ops {
        parsed.push(parse_op(ctx, &args[r.clone()], kind)?);
    }
    resolve(prefix, parsed)
}

/// Reads a LOAD tensor (sharing its bytes with the key).
fn load_tensor(ctx: &Context, key: &RedisString) -> Result<Tensor, RedisError> {
    let k = ctx.open_key(key);
    let t = k
        .get_value::<Tensor>(&TENSOR_TYPE)
        .map_err(|_| RedisError::WrongType)?
        .ok_or(RedisError::Str(msg::EMPTY_KEY))?;
    Ok(t.share())
}

fn parse_op(ctx: &Context, op: &[RedisString], kind: Kind) -> Result<Parsed, RedisError> {
    let Some(name) = op.first() else {
        return err("Unsupported command within DAG");
    };
    if is(name, names::TENSORGET) {
        if !(2..=4).contains(&op.len()) {
            return err("wrong number of arguments for 'AI.TENSORGET' command");
        }
        let format = parse_tensorget_format(&op[2..]).map_err(RedisError::Str)?;
        return Ok(Parsed::Get(op[1].as_slice().to_vec(), format));
    }
    if is(name, names::TENSORSET) {
        if op.len() < 4 {
            return err("wrong number of arguments for 'AI.TENSORSET' command");
        }
        let spec = parse_tensorset(&op[2..]).map_err(RedisError::Str)?;
        let data = match spec.data {
            DataSource::Built(bytes) => TensorData::owned(bytes),
            DataSource::Blob(i) => {
                let s = NonNull::new(op[2 + i].inner)
                    .ok_or(RedisError::Str("ERR could not save tensor"))?;
                // SAFETY: a live argument, on the main thread.
                TensorData::Held(unsafe { HeldString::retain(s) })
            }
        };
        let t = Tensor {
            dtype: spec.dtype,
            shape: spec.shape,
            data,
        };
        return Ok(Parsed::Set(op[1].as_slice().to_vec(), t));
    }
    let deprecated = kind.deprecated();
    if is(name, names::MODELEXECUTE) {
        if deprecated {
            return err("AI.MODELEXECUTE cannot be used in a deprecated AI.DAGRUN command");
        }
        if op.len() < 8 {
            return err(model_parse::EXECUTE_ARITY);
        }
        let model = lookup_model(ctx, &op[1])?;
        let run = model_parse::parse_modelexecute(op, model.inputs().len(), model.outputs().len())
            .map_err(parse_error)?;
        return model_op(op, model, run);
    }
    if is(name, names::MODELRUN) {
        if !deprecated {
            return err("Deprecated AI.MODELRUN cannot be used in AI.DAGEXECUTE command");
        }
        if op.len() < 6 {
            return err(model_parse::RUN_ARITY);
        }
        let model = lookup_model(ctx, &op[1])?;
        let run = model_parse::parse_modelrun(op, model.inputs().len(), model.outputs().len())
            .map_err(parse_error)?;
        return model_op(op, model, run);
    }
    if is(name, SCRIPTEXECUTE) {
        if deprecated {
            return err("AI.SCRIPTEXECUTE cannot be used in a deprecated AI.DAGRUN command");
        }
        if kind.read_only() {
            return err("ERR AI.SCRIPTEXECUTE command cannot be specified in a read-only DAG");
        }
        return script_op(ctx, op, SCRIPTEXECUTE);
    }
    if is(name, SCRIPTRUN) {
        if !deprecated {
            return err("Deprecated AI.SCRIPTRUN cannot be used in AI.DAGEXECUTE command");
        }
        return script_op(ctx, op, SCRIPTRUN);
    }
    err("Unsupported command within DAG")
}

/// `AI.SCRIPTEXECUTE` (the script commands' names live with the script module).
const SCRIPTEXECUTE: &str = "AI.SCRIPTEXECUTE";
/// Deprecated `AI.SCRIPTRUN`.
const SCRIPTRUN: &str = "AI.SCRIPTRUN";

fn model_op(
    op: &[RedisString],
    model: Arc<crate::model::ModelEntry>,
    run: RunArgs,
) -> Result<Parsed, RedisError> {
    if run.timeout_ms.is_some() {
        return err(OP_TIMEOUT);
    }
    let name = |i: &usize| op[*i].as_slice().to_vec();
    let outputs: Vec<Vec<u8>> = run.outputs.iter().map(name).collect();
    Ok(Parsed::Run {
        runner: Box::new(ModelRunner {
            model,
            noutputs: outputs.len(),
        }),
        inputs: run.inputs.iter().map(name).collect(),
        outputs,
    })
}

/// A script op: the script is read from the keyspace now (`ERR script key is empty` / WRONGTYPE), its arguments
/// parsed by the script commands' parsers (any scope order inside a DAG), and run by a [`ScriptRunner`].
fn script_op(ctx: &Context, op: &[RedisString], command: &str) -> Result<Parsed, RedisError> {
    let deprecated = command == SCRIPTRUN;
    if op.len() < if deprecated { 4 } else { 3 } {
        return err(format!(
            "ERR wrong number of arguments for '{command}' command"
        ));
    }
    let script = crate::commands::script::lookup(ctx, &op[1])?;
    let run = if deprecated {
        script_parse::parse_scriptrun(op)
    } else {
        script_parse::parse_scriptexecute(op, true)
    }
    .map_err(parse_error)?;
    if run.timeout_ms.is_some() {
        return err(OP_TIMEOUT);
    }
    let name = |i: &usize| op[*i].as_slice().to_vec();
    let outputs: Vec<Vec<u8>> = run.outputs.iter().map(name).collect();
    Ok(Parsed::Run {
        runner: Box::new(ScriptRunner {
            script,
            function: String::from_utf8_lossy(op[2].as_slice()).into_owned(),
            keys: run.keys.iter().map(name).collect(),
            args: run.args.iter().map(name).collect(),
            noutputs: outputs.len(),
        }),
        inputs: run.inputs.iter().map(name).collect(),
        outputs,
    })
}

/// Gives every tensor version a slot (RedisAI `MapTensorsKeysToIndices`, `ValidatePersistKeys`).
fn resolve(prefix: Prefix, parsed: Vec<Parsed>) -> Result<Dag, RedisError> {
    let mut tensors: Vec<Option<Tensor>> = Vec::new();
    let mut slot_of: HashMap<Vec<u8>, usize> = HashMap::new();
    for (name, t) in prefix.loaded {
        slot_of.insert(name, tensors.len());
        tensors.push(Some(t));
    }
    let mut ops = Vec::with_capacity(parsed.len());
    let find = |slot_of: &HashMap<Vec<u8>, usize>, name: &[u8]| {
        slot_of
            .get(name)
            .copied()
            .ok_or(RedisError::Str(INPUT_NOT_FOUND))
    };
    for p in parsed {
        ops.push(match p {
            Parsed::Set(name, t) => {
                slot_of.insert(name, tensors.len());
                tensors.push(Some(t));
                Op::TensorSet
            }
            Parsed::Get(name, format) => Op::TensorGet {
                slot: find(&slot_of, &name)?,
                format,
            },
            Parsed::Run {
                runner,
                inputs,
                outputs,
            } => {
                let inputs = inputs
                    .iter()
                    .map(|n| find(&slot_of, n))
                    .collect::<Result<Vec<_>, _>>()?;
                let outputs = outputs
                    .into_iter()
                    .map(|n| {
                        slot_of.insert(n, tensors.len());
                        tensors.push(None);
                        tensors.len() - 1
                    })
                    .collect();
                Op::Run {
                    runner,
                    inputs,
                    outputs,
                    state: OpState::Pending,
                }
            }
        });
    }
    let mut persist = Vec::with_capacity(prefix.persist.len());
    for name in prefix.persist {
        let slot = slot_of
            .get(&name)
            .copied()
            .ok_or(RedisError::Str(PERSIST_NOT_FOUND))?;
        persist.push((name, slot));
    }
    Ok(Dag {
        ops,
        tensors,
        persist,
        timeout: prefix.timeout_ms.map(|t| Duration::from_millis(t as u64)),
    })
}

/// Key positions for cluster routing (RedisAI `RedisAI_DagExecute_IsKeysPositionRequest_ReportKeys`): the LOAD and
/// PERSIST keys, the ROUTING key and the key after each model or script op's command name. Tensor names inside ops
/// are DAG-local and not keys.
pub fn key_positions<A: Arg>(args: &[A]) -> Vec<usize> {
    let n = args.len();
    let mut keys = Vec::new();
    let mut pos = 1;
    while pos < n {
        let tok = &args[pos];
        pos += 1;
        if is(tok, kw::LOAD) || is(tok, kw::PERSIST) {
            let Some(count) = args.get(pos).and_then(Arg::to_i64) else {
                break;
            };
            pos += 1;
            let last = (pos as i64).saturating_add(count);
            if count < 0 || last >= n as i64 {
                break;
            }
            keys.extend(pos..last as usize);
            pos = last as usize;
        } else if is(tok, kw::ROUTING)
            || is(tok, names::MODELEXECUTE)
            || is(tok, SCRIPTEXECUTE)
            || is(tok, names::MODELRUN)
            || is(tok, SCRIPTRUN)
        {
            if pos >= n {
                break;
            }
            keys.push(pos);
            pos += 1;
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::dtype::DType;

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

    fn argv(s: &'static str) -> Vec<S> {
        s.split(' ').map(S).collect()
    }

    fn scalar() -> Tensor {
        Tensor {
            dtype: DType::Float,
            shape: vec![],
            data: TensorData::owned(vec![0; 4]),
        }
    }

    fn prefix(s: &'static str, kind: Kind) -> Result<Prefix, String> {
        parse_prefix(&argv(s), kind, |k| {
            if k.0 == "missing" {
                Err(RedisError::Str(msg::EMPTY_KEY))
            } else {
                Ok(scalar())
            }
        })
        .map_err(|e| match e {
            RedisError::String(s) => s,
            RedisError::Str(s) => s.to_string(),
            other => format!("{other:?}"),
        })
    }

    fn prefix_err(s: &'static str, kind: Kind) -> String {
        prefix(s, kind).err().unwrap()
    }

    #[test]
    fn prefix_keywords_in_any_order_each_once() {
        let p = prefix(
            "AI.DAGEXECUTE TIMEOUT 5 PERSIST 1 b ROUTING r LOAD 2 a c |> AI.TENSORGET a |> AI.TENSORGET c",
            Kind::Execute,
        )
        .unwrap();
        assert_eq!(p.loaded.len(), 2);
        assert_eq!(p.persist, vec![b"b".to_vec()]);
        assert_eq!(p.timeout_ms, Some(5));
        assert_eq!(p.ops, vec![13..15, 16..18]);
        assert_eq!(
            prefix_err(
                "AI.DAGEXECUTE LOAD 1 a LOAD 1 a |> AI.TENSORGET a",
                Kind::Execute
            ),
            "ERR Invalid DAG command. Unexpected argument:  LOAD"
        );
        assert_eq!(
            prefix_err(
                "AI.DAGEXECUTE LOAD 1 a BAD |> AI.TENSORGET a",
                Kind::Execute
            ),
            "ERR Invalid DAG command. Unexpected argument:  BAD"
        );
        // A trailing `|>` is not an op separator.
        assert_eq!(
            prefix_err("AI.DAGEXECUTE LOAD 1 a |>", Kind::Execute),
            "ERR Invalid DAG command. Unexpected argument:  |>"
        );
    }

    #[test]
    fn prefix_errors() {
        let e = |s| prefix_err(s, Kind::Execute);
        assert_eq!(
            e("AI.DAGEXECUTE LOAD 0 a |> AI.TENSORGET a"),
            "ERR invalid or negative value found in number of keys to LOAD"
        );
        assert_eq!(
            e("AI.DAGEXECUTE LOAD 3 a b"),
            "ERR number of keys to LOAD into DAG does not match the number of given arguments"
        );
        assert_eq!(
            e("AI.DAGEXECUTE LOAD 1 missing |> AI.TENSORGET a"),
            msg::EMPTY_KEY
        );
        assert_eq!(
            e("AI.DAGEXECUTE PERSIST 2 a a |> AI.TENSORGET a"),
            "ERR PERSIST keys must be unique"
        );
        assert_eq!(
            e("AI.DAGEXECUTE PERSIST x a |> AI.TENSORGET a"),
            "ERR invalid or negative value found in number of keys to PERSIST"
        );
        assert_eq!(
            e("AI.DAGEXECUTE PERSIST 4 a b c"),
            "ERR number of keys to PERSIST after DAG execution does not match the number of given arguments"
        );
        assert_eq!(
            prefix_err(
                "AI.DAGEXECUTE_RO PERSIST 1 a |> AI.TENSORGET a",
                Kind::ExecuteRo
            ),
            "ERR PERSIST cannot be specified in a read-only DAG"
        );
        assert_eq!(
            e("AI.DAGEXECUTE a b c ROUTING"),
            "ERR Invalid DAG command. Unexpected argument:  a"
        );
        assert_eq!(
            e("AI.DAGEXECUTE TIMEOUT 5 |> AI.TENSORGET a"),
            "ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of ROUTING, LOAD, PERSIST keywords"
        );
        assert_eq!(
            e("AI.DAGEXECUTE TIMEOUT 0 ROUTING a"),
            "ERR Invalid value for TIMEOUT"
        );
        assert_eq!(
            e("AI.DAGEXECUTE ROUTING a TIMEOUT"),
            "ERR No value provided for TIMEOUT"
        );
        assert_eq!(
            e("AI.DAGEXECUTE TIMEOUT 5 ROUTING"),
            "ERR Missing ROUTING value"
        );
        assert_eq!(e("AI.DAGEXECUTE ROUTING a TIMEOUT 5"), "ERR DAG is empty");
        // The deprecated commands need none of LOAD/PERSIST/ROUTING.
        assert!(prefix("AI.DAGRUN |> AI.TENSORGET a", Kind::Run).is_ok());
    }

    #[test]
    fn keys_reported_for_cluster_routing() {
        let a = argv("AI.DAGEXECUTE LOAD 2 a b PERSIST 1 c ROUTING r |> AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 c |> AI.SCRIPTEXECUTE s f");
        assert_eq!(key_positions(&a), vec![3, 4, 7, 9, 12, 21]);
        assert_eq!(
            key_positions(&argv("AI.DAGEXECUTE LOAD 5 a")),
            Vec::<usize>::new()
        );
    }
}
