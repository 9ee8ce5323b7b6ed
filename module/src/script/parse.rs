//! `AI.SCRIPTSTORE`/`AI.SCRIPTSET` and `AI.SCRIPTEXECUTE`/`AI.SCRIPTRUN` argument parsing, in RedisAI's validation
//! order and error texts (`src/redisai.c`, `src/execution/parsing/script_commands_parser.c`,
//! `src/execution/parsing/deprecated.c`; reference §3.7, §3.10, §3.12). Argument slices are whole argv vectors,
//! command name included.

use smartredis_protocol::commands::model::{INPUTS, OUTPUTS, TAG, TIMEOUT};
use smartredis_protocol::commands::script as kw;

use crate::model::parse::ParseError;
use crate::tensor::parse::Arg;

fn err<T>(m: &str) -> Result<T, ParseError> {
    Err(ParseError::Msg(m.to_string()))
}

fn is(a: &impl Arg, kw: &str) -> bool {
    a.bytes().eq_ignore_ascii_case(kw.as_bytes())
}

fn text(a: &impl Arg) -> String {
    String::from_utf8_lossy(a.bytes()).into_owned()
}

/// A parsed store command.
#[derive(Debug, PartialEq)]
pub struct StoreArgs {
    /// The device as sent (not validated here, as RedisAI).
    pub device: String,
    /// The tag (empty if none).
    pub tag: Vec<u8>,
    /// `ENTRY_POINTS` names (none for SCRIPTSET).
    pub entry_points: Vec<String>,
    /// Index of the source argument.
    pub source: usize,
}

const MISSING_ENTRY_POINTS: &str = "ERR Insufficient arguments, missing script entry points";
const MISSING_SOURCE: &str = "ERR Insufficient arguments, missing script SOURCE";

/// `AI.SCRIPTSTORE key device [TAG tag] ENTRY_POINTS n fn... SOURCE src`.
pub fn parse_scriptstore<A: Arg>(args: &[A]) -> Result<StoreArgs, ParseError> {
    if args.len() < 8 {
        return Err(ParseError::Arity);
    }
    let device = text(&args[2]);
    let mut i = 3;
    let mut tag = Vec::new();
    if is(&args[i], TAG) {
        tag = args[i + 1].bytes().to_vec();
        i += 2;
    }
    if !args.get(i).is_some_and(|a| is(a, kw::ENTRY_POINTS)) {
        return err(MISSING_ENTRY_POINTS);
    }
    let n = args.get(i + 1).and_then(Arg::to_i64).ok_or_else(|| {
        ParseError::Msg(
            "ERR Non numeric entry points number provided to AI.SCRIPTSTORE command".into(),
        )
    })?;
    i += 2;
    let mut entry_points = Vec::new();
    for _ in 0..n.max(0) {
        let Some(a) = args.get(i) else {
            return err(MISSING_ENTRY_POINTS);
        };
        entry_points.push(text(a));
        i += 1;
    }
    if !args.get(i).is_some_and(|a| is(a, kw::SOURCE)) || args.get(i + 1).is_none() {
        return err(MISSING_SOURCE);
    }
    Ok(StoreArgs {
        device,
        tag,
        entry_points,
        source: i + 1,
    })
}

/// The deprecated `AI.SCRIPTSET key device [TAG tag] SOURCE src` (exactly 5 or 7 arguments).
pub fn parse_scriptset<A: Arg>(args: &[A]) -> Result<StoreArgs, ParseError> {
    if args.len() != 5 && args.len() != 7 {
        return Err(ParseError::Arity);
    }
    let device = text(&args[2]);
    let mut i = 3;
    let mut tag = Vec::new();
    if is(&args[i], TAG) {
        tag = args[i + 1].bytes().to_vec();
        i += 2;
    }
    if !args.get(i).is_some_and(|a| is(a, kw::SOURCE)) || args.get(i + 1).is_none() {
        return err(MISSING_SOURCE);
    }
    Ok(StoreArgs {
        device,
        tag,
        entry_points: Vec::new(),
        source: i + 1,
    })
}

/// A parsed script run: argv indices of each list, and the timeout.
#[derive(Debug, Default, PartialEq)]
pub struct RunArgs {
    /// `KEYS` positions (passed to the function as strings).
    pub keys: Vec<usize>,
    /// Input tensor key positions.
    pub inputs: Vec<usize>,
    /// `ARGS` positions (passed as strings).
    pub args: Vec<usize>,
    /// Output key positions.
    pub outputs: Vec<usize>,
    /// `TIMEOUT` in ms.
    pub timeout_ms: Option<i64>,
}

/// Arity message of `AI.SCRIPTEXECUTE` (RedisAI's own text, upper case).
pub const EXECUTE_ARITY: &str = "ERR wrong number of arguments for 'AI.SCRIPTEXECUTE' command";

/// `AI.SCRIPTEXECUTE key fn [KEYS n k...] [INPUTS n t...] [ARGS n a...] [OUTPUTS n o...] [TIMEOUT ms]` after the
/// script lookup (reference §3.10). As a command, the first scope must be KEYS or INPUTS; inside a DAG
/// (`in_dag`) any order is allowed. The caller has checked `argc >= 3`.
pub fn parse_scriptexecute<A: Arg>(args: &[A], in_dag: bool) -> Result<RunArgs, ParseError> {
    let mut i = 3;
    if !in_dag
        && !args
            .get(i)
            .is_some_and(|a| is(a, kw::KEYS) || is(a, INPUTS))
    {
        return err("ERR KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command");
    }
    let mut run = RunArgs::default();
    let mut seen = [false; 4];
    while let Some(a) = args.get(i) {
        if is(a, TIMEOUT) {
            let t = match args.get(i + 1) {
                None => return err("ERR No value provided for TIMEOUT in AI.SCRIPTEXECUTE"),
                Some(v) => match v.to_i64() {
                    Some(t) if t > 0 => t,
                    _ => return err("ERR Invalid value for TIMEOUT"),
                },
            };
            if args.len() > i + 2 {
                return err("ERR Encountered problem parsing AI.SCRIPTEXECUTE");
            }
            run.timeout_ms = Some(t);
            break;
        }
        let (slot, name, count_name) = if is(a, kw::KEYS) {
            (0, "KEYS", "keys")
        } else if is(a, INPUTS) {
            (1, "INPUTS", "inputs")
        } else if is(a, kw::ARGS) {
            (2, "ARGS", "args")
        } else if is(a, OUTPUTS) {
            (3, "OUTPUTS", "outputs")
        } else {
            return err(&format!(
                "ERR Invalid AI.SCRIPTEXECUTE command. Unexpected argument: {}",
                text(a)
            ));
        };
        if seen[slot] {
            return err(&format!(
                "ERR Already Encountered {name} scope in AI.SCRIPTEXECUTE command"
            ));
        }
        seen[slot] = true;
        let n = if slot == 0 {
            let Some(c) = args.get(i + 1) else {
                return err("ERR Missing arguments after KEYS keyword");
            };
            let n = c.to_i64().filter(|&n| n >= 0).ok_or_else(|| {
                ParseError::Msg("ERR Invalid or negative value found in number of KEYS".into())
            })? as usize;
            if args.len() < i + 2 + n {
                return err("ERR Number of pre declared KEYS to be used in the command does not match the number of given arguments");
            }
            n
        } else {
            let Some(c) = args.get(i + 1) else {
                return err("ERR Invalid arguments provided to AI.SCRIPTEXECUTE");
            };
            // RedisAI's ARGS message says "keys".
            let what = if slot == 2 { "keys" } else { count_name };
            let n = c.to_i64().filter(|&n| n >= 0).ok_or_else(|| {
                ParseError::Msg(format!(
                    "ERR Invalid argument for {what} count in AI.SCRIPTEXECUTE"
                ))
            })? as usize;
            if args.len() < i + 2 + n {
                return err(&format!("ERR number of {count_name} to AI.SCRIPTEXECUTE command does not match the number of given arguments"));
            }
            n
        };
        let items: Vec<usize> = (i + 2..i + 2 + n).collect();
        match slot {
            0 => run.keys = items,
            1 => run.inputs = items,
            2 => run.args = items,
            _ => run.outputs = items,
        }
        i += 2 + n;
    }
    Ok(run)
}

/// The deprecated `AI.SCRIPTRUN key fn [TIMEOUT t] INPUTS in... [$ in...] OUTPUTS out...` after the script lookup
/// (reference §3.12). `$` (a variadic list) is accepted and needs no marking: the positional call gives a
/// trailing `List[Tensor]` parameter every remaining input.
pub fn parse_scriptrun<A: Arg>(args: &[A]) -> Result<RunArgs, ParseError> {
    let mut run = RunArgs::default();
    #[derive(PartialEq)]
    enum Section {
        None,
        Inputs,
        Outputs,
    }
    let mut section = Section::None;
    let (mut had_inputs, mut had_outputs, mut variadic) = (false, false, false);
    let mut i = 3;
    while let Some(a) = args.get(i) {
        if is(a, INPUTS) {
            if section == Section::Inputs {
                return err("ERR Already encountered an INPUTS section in SCRIPTRUN");
            }
            if had_inputs {
                return err("ERR Already encountered an INPUTS keyword in SCRIPTRUN");
            }
            had_inputs = true;
            section = Section::Inputs;
        } else if is(a, OUTPUTS) {
            if had_outputs {
                return err("ERR Already encountered an OUTPUTS keyword in SCRIPTRUN");
            }
            had_outputs = true;
            section = Section::Outputs;
        } else if a.bytes() == b"$" {
            if section != Section::Inputs {
                return err(
                    "ERR Encountered a variable size list of tensors outside of input section",
                );
            }
            if variadic {
                return err("ERR Already encountered a variable size list of tensors");
            }
            variadic = true;
        } else if is(a, TIMEOUT) && section != Section::Inputs && section != Section::Outputs {
            if run.timeout_ms.is_some() {
                return err("ERR Already encountered an TIMEOUT section in SCRIPTRUN");
            }
            run.timeout_ms = Some(match args.get(i + 1).and_then(Arg::to_i64) {
                Some(t) if t > 0 => t,
                None if args.get(i + 1).is_none() => {
                    return err("ERR No value provided for TIMEOUT")
                }
                _ => return err("ERR Invalid value for TIMEOUT"),
            });
            i += 1;
        } else {
            match section {
                Section::Inputs => run.inputs.push(i),
                Section::Outputs => run.outputs.push(i),
                Section::None => return err("ERR Unrecongnized parameter to SCRIPTRUN"),
            }
        }
        i += 1;
    }
    Ok(run)
}

/// Key positions of `AI.SCRIPTEXECUTE` for cluster routing: the script and every KEYS, INPUTS and OUTPUTS item.
pub fn scriptexecute_keys<A: Arg>(args: &[A]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut i = 3;
    while let Some(a) = args.get(i) {
        let listed = is(a, kw::KEYS) || is(a, INPUTS) || is(a, OUTPUTS);
        if !(listed || is(a, kw::ARGS)) {
            break;
        }
        let Some(n) = args.get(i + 1).and_then(Arg::to_i64).filter(|&n| n >= 0) else {
            break;
        };
        let end = (i + 2 + n as usize).min(args.len());
        if listed {
            keys.extend(i + 2..end);
        }
        i = end;
    }
    keys.retain(|&k| k < args.len());
    keys
}

/// Key positions of `AI.SCRIPTRUN`: the script and every input and output name.
pub fn scriptrun_keys<A: Arg>(args: &[A]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut in_list = false;
    let mut i = 3;
    while let Some(a) = args.get(i) {
        if is(a, INPUTS) || is(a, OUTPUTS) {
            in_list = true;
        } else if is(a, TIMEOUT) && !in_list {
            i += 1;
        } else if in_list && a.bytes() != b"$" {
            keys.push(i);
        }
        i += 1;
    }
    keys.retain(|&k| k < args.len());
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<&str> {
        s.split(' ').collect()
    }

    fn msg<T: std::fmt::Debug>(r: Result<T, ParseError>) -> String {
        match r {
            Err(ParseError::Msg(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn store_and_set() {
        let a = v("AI.SCRIPTSTORE k CPU TAG t ENTRY_POINTS 2 f g SOURCE src");
        let s = parse_scriptstore(&a).unwrap();
        assert_eq!((s.device.as_str(), &s.tag[..]), ("CPU", &b"t"[..]));
        assert_eq!(s.entry_points, ["f", "g"]);
        assert_eq!(s.source, 10);
        assert_eq!(
            parse_scriptstore(&v("AI.SCRIPTSTORE k CPU SOURCE x")),
            Err(ParseError::Arity)
        );
        assert_eq!(
            msg(parse_scriptstore(&v(
                "AI.SCRIPTSTORE k CPU TAG t SOURCE x y z"
            ))),
            MISSING_ENTRY_POINTS
        );
        assert!(msg(parse_scriptstore(&v(
            "AI.SCRIPTSTORE k CPU ENTRY_POINTS x f SOURCE s"
        )))
        .contains("Non numeric"));
        assert_eq!(
            msg(parse_scriptstore(&v(
                "AI.SCRIPTSTORE k CPU ENTRY_POINTS 5 f SOURCE s"
            ))),
            MISSING_ENTRY_POINTS
        );
        assert_eq!(
            msg(parse_scriptstore(&v(
                "AI.SCRIPTSTORE k CPU ENTRY_POINTS 1 f g SOURCE"
            ))),
            MISSING_SOURCE
        );
        let s = parse_scriptset(&v("AI.SCRIPTSET k CPU SOURCE src")).unwrap();
        assert!(s.entry_points.is_empty() && s.source == 4);
        assert_eq!(
            parse_scriptset(&v("AI.SCRIPTSET k CPU SOURCE")),
            Err(ParseError::Arity)
        );
        assert_eq!(
            msg(parse_scriptset(&v("AI.SCRIPTSET k CPU TAG t BLOB s"))),
            MISSING_SOURCE
        );
    }

    #[test]
    fn execute() {
        let a = v("AI.SCRIPTEXECUTE s f KEYS 1 k INPUTS 2 a b ARGS 1 x OUTPUTS 1 o TIMEOUT 5");
        let r = parse_scriptexecute(&a, false).unwrap();
        assert_eq!(r.keys, [5]);
        assert_eq!(r.inputs, [8, 9]);
        assert_eq!(r.args, [12]);
        assert_eq!(r.outputs, [15]);
        assert_eq!(r.timeout_ms, Some(5));
        assert_eq!(scriptexecute_keys(&a), [1, 5, 8, 9, 15]);
        let first = msg(parse_scriptexecute(
            &v("AI.SCRIPTEXECUTE s f OUTPUTS 1 o"),
            false,
        ));
        assert!(first.contains("KEYS or INPUTS scope must be provided first"));
        assert!(parse_scriptexecute(&v("AI.SCRIPTEXECUTE s f OUTPUTS 1 o"), true).is_ok());
        for (cmd, want) in [
            ("INPUTS 1 a INPUTS 1 b", "ERR Already Encountered INPUTS scope in AI.SCRIPTEXECUTE command"),
            ("INPUTS", "ERR Invalid arguments provided to AI.SCRIPTEXECUTE"),
            ("INPUTS x", "ERR Invalid argument for inputs count in AI.SCRIPTEXECUTE"),
            ("INPUTS 1 a ARGS x", "ERR Invalid argument for keys count in AI.SCRIPTEXECUTE"),
            ("INPUTS 3 a", "ERR number of inputs to AI.SCRIPTEXECUTE command does not match the number of given arguments"),
            ("KEYS", "ERR Missing arguments after KEYS keyword"),
            ("KEYS -1", "ERR Invalid or negative value found in number of KEYS"),
            ("KEYS 2 a", "ERR Number of pre declared KEYS to be used in the command does not match the number of given arguments"),
            ("INPUTS 1 a BOGUS", "ERR Invalid AI.SCRIPTEXECUTE command. Unexpected argument: BOGUS"),
            ("INPUTS 1 a TIMEOUT", "ERR No value provided for TIMEOUT in AI.SCRIPTEXECUTE"),
            ("INPUTS 1 a TIMEOUT 0", "ERR Invalid value for TIMEOUT"),
            ("INPUTS 1 a TIMEOUT 5 x", "ERR Encountered problem parsing AI.SCRIPTEXECUTE"),
        ] {
            let line = format!("AI.SCRIPTEXECUTE s f {cmd}");
            let a = v(&line);
            assert_eq!(msg(parse_scriptexecute(&a, false)), want, "{cmd}");
        }
    }

    #[test]
    fn run() {
        let a = v("AI.SCRIPTRUN s f TIMEOUT 9 INPUTS a $ b c OUTPUTS o p");
        let r = parse_scriptrun(&a).unwrap();
        assert_eq!(r.inputs, [6, 8, 9]);
        assert_eq!(r.outputs, [11, 12]);
        assert_eq!(r.timeout_ms, Some(9));
        assert_eq!(scriptrun_keys(&a), [1, 6, 8, 9, 11, 12]);
        for (cmd, want) in [
            (
                "INPUTS a INPUTS b",
                "ERR Already encountered an INPUTS section in SCRIPTRUN",
            ),
            (
                "INPUTS a OUTPUTS b INPUTS c",
                "ERR Already encountered an INPUTS keyword in SCRIPTRUN",
            ),
            (
                "INPUTS a OUTPUTS b OUTPUTS c",
                "ERR Already encountered an OUTPUTS keyword in SCRIPTRUN",
            ),
            (
                "INPUTS $ a $ b",
                "ERR Already encountered a variable size list of tensors",
            ),
            (
                "$ a",
                "ERR Encountered a variable size list of tensors outside of input section",
            ),
            (
                "TIMEOUT 1 TIMEOUT 2 INPUTS a",
                "ERR Already encountered an TIMEOUT section in SCRIPTRUN",
            ),
            ("x INPUTS a", "ERR Unrecongnized parameter to SCRIPTRUN"),
        ] {
            let line = format!("AI.SCRIPTRUN s f {cmd}");
            let a = v(&line);
            assert_eq!(msg(parse_scriptrun(&a)), want, "{cmd}");
        }
    }
}
