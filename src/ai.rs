//! The RedisAI commands the client sends, built as data (argument lists), exactly as SmartRedis 0.6.1 sends them
//! (reference §5). Their RESP encoding is done in [`crate::transport`] only.

use std::borrow::Cow;

use smartredis_protocol::commands::{
    config, keyword, model, script, CONFIG, INFO, MODELDEL, MODELEXECUTE, MODELGET, MODELSTORE,
    SCRIPTDEL, SCRIPTGET, SCRIPTRUN, SCRIPTSET, TENSORGET, TENSORSET,
};

use crate::tensor::DType;

/// A command's arguments, the command name first.
pub type Args<'a> = Vec<Cow<'a, [u8]>>;

/// `AI.TENSORSET key TYPE d0 .. dn BLOB`, without the blob itself: transport sends the tensor's bytes from where
/// they are as the final argument.
pub fn tensorset<'a>(key: &'a [u8], dtype: DType, dims: &[usize]) -> Args<'a> {
    let mut args: Args<'a> = Vec::with_capacity(dims.len() + 4);
    args.push(TENSORSET.as_bytes().into());
    args.push(key.into());
    args.push(dtype.wire_name().as_bytes().into());
    args.extend(dims.iter().map(|d| Cow::Owned(d.to_string().into_bytes())));
    args.push(keyword::BLOB.as_bytes().into());
    args
}

/// `AI.TENSORGET key META BLOB`; the reply is `["dtype", TYPE, "shape", [d...], "blob", <bytes>]`.
pub fn tensorget(key: &[u8]) -> Args<'_> {
    vec![
        TENSORGET.as_bytes().into(),
        key.into(),
        keyword::META.as_bytes().into(),
        keyword::BLOB.as_bytes().into(),
    ]
}

fn text(s: &str) -> Cow<'_, [u8]> {
    Cow::Borrowed(s.as_bytes())
}

fn number(n: impl ToString) -> Cow<'static, [u8]> {
    Cow::Owned(n.to_string().into_bytes())
}

/// What `AI.MODELSTORE` says about a model besides its bytes.
#[derive(Clone, Copy, Debug)]
pub struct ModelSpec<'a> {
    /// `TF`, `TFLITE`, `TORCH` or `ONNX`.
    pub backend: &'a str,
    /// `CPU`, `GPU`, `GPU:<n>`.
    pub device: &'a str,
    /// Sent as `TAG <tag>` when not empty.
    pub tag: &'a str,
    /// Sent as `BATCHSIZE <n>` when positive.
    pub batch_size: i32,
    /// Sent as `MINBATCHSIZE <n>` when positive.
    pub min_batch_size: i32,
    /// Sent as `MINBATCHTIMEOUT <ms>` when positive.
    pub min_batch_timeout: i32,
    /// Graph input names (`INPUTS n ...` when not empty; TF only).
    pub inputs: &'a [String],
    /// Graph output names (`OUTPUTS n ...` when not empty; TF only).
    pub outputs: &'a [String],
}

/// `AI.MODELSTORE key backend device [TAG t] [BATCHSIZE n] [MINBATCHSIZE m] [MINBATCHTIMEOUT t] [INPUTS n ...]
/// [OUTPUTS n ...] BLOB chunk...`, the model split into pieces of at most `chunk_size` bytes (borrowed, not
/// copied).
pub fn modelstore<'a>(
    key: impl Into<Cow<'a, [u8]>>,
    spec: &ModelSpec<'a>,
    blob: &'a [u8],
    chunk_size: usize,
) -> Args<'a> {
    let mut args: Args<'a> = vec![
        text(MODELSTORE),
        key.into(),
        text(spec.backend),
        text(spec.device),
    ];
    if !spec.tag.is_empty() {
        args.extend([text(model::TAG), text(spec.tag)]);
    }
    for (word, n) in [
        (model::BATCHSIZE, spec.batch_size),
        (model::MINBATCHSIZE, spec.min_batch_size),
        (model::MINBATCHTIMEOUT, spec.min_batch_timeout),
    ] {
        if n > 0 {
            args.extend([text(word), number(n)]);
        }
    }
    for (word, names) in [(model::INPUTS, spec.inputs), (model::OUTPUTS, spec.outputs)] {
        if !names.is_empty() {
            args.extend([text(word), number(names.len())]);
            args.extend(names.iter().map(|n| text(n)));
        }
    }
    args.push(text(keyword::BLOB));
    if blob.is_empty() {
        args.push(Cow::Borrowed(blob));
    } else {
        args.extend(blob.chunks(chunk_size.max(1)).map(Cow::Borrowed));
    }
    args
}

/// `AI.MODELGET key BLOB`: the model's bytes, as one bulk string or an array of chunks.
pub fn modelget_blob(key: &[u8]) -> Args<'_> {
    vec![text(MODELGET), key.into(), text(keyword::BLOB)]
}

/// `AI.MODELDEL key`.
pub fn modeldel<'a>(key: impl Into<Cow<'a, [u8]>>) -> Args<'a> {
    vec![text(MODELDEL), key.into()]
}

fn key_list<K: AsRef<[u8]>>(args: &mut Args<'_>, word: &'static str, keys: &[K], count: bool) {
    args.push(text(word));
    if count {
        args.push(number(keys.len()));
    }
    args.extend(keys.iter().map(|k| Cow::Owned(k.as_ref().to_vec())));
}

/// `AI.MODELEXECUTE key INPUTS n in... OUTPUTS m out... TIMEOUT ms`.
pub fn modelexecute<'a, K: AsRef<[u8]>>(
    key: impl Into<Cow<'a, [u8]>>,
    inputs: &[K],
    outputs: &[K],
    timeout_ms: i64,
) -> Args<'a> {
    let mut args: Args<'a> = vec![text(MODELEXECUTE), key.into()];
    key_list(&mut args, model::INPUTS, inputs, true);
    key_list(&mut args, model::OUTPUTS, outputs, true);
    args.extend([text(model::TIMEOUT), number(timeout_ms)]);
    args
}

/// `AI.SCRIPTSET key device SOURCE source` (the deprecated form SmartRedis sends: no entry points).
pub fn scriptset<'a>(key: impl Into<Cow<'a, [u8]>>, device: &'a str, source: &'a str) -> Args<'a> {
    vec![
        text(SCRIPTSET),
        key.into(),
        text(device),
        text(script::SOURCE),
        text(source),
    ]
}

/// `AI.SCRIPTGET key SOURCE`: the source as one bulk string.
pub fn scriptget_source(key: &[u8]) -> Args<'_> {
    vec![text(SCRIPTGET), key.into(), text(script::SOURCE)]
}

/// `AI.SCRIPTDEL key`.
pub fn scriptdel<'a>(key: impl Into<Cow<'a, [u8]>>) -> Args<'a> {
    vec![text(SCRIPTDEL), key.into()]
}

/// `AI.SCRIPTRUN key function INPUTS in... OUTPUTS out...` (the deprecated positional form SmartRedis sends, without
/// counts).
pub fn scriptrun<'a, K: AsRef<[u8]>>(
    key: impl Into<Cow<'a, [u8]>>,
    function: &'a str,
    inputs: &[K],
    outputs: &[K],
) -> Args<'a> {
    let mut args: Args<'a> = vec![text(SCRIPTRUN), key.into(), text(function)];
    key_list(&mut args, model::INPUTS, inputs, false);
    key_list(&mut args, model::OUTPUTS, outputs, false);
    args
}

/// `AI.CONFIG MODEL_CHUNK_SIZE bytes`.
pub fn config_model_chunk_size(bytes: usize) -> Args<'static> {
    vec![text(CONFIG), text(config::MODEL_CHUNK_SIZE), number(bytes)]
}

/// `AI.CONFIG GET MODEL_CHUNK_SIZE` (an integer reply).
pub fn config_get_model_chunk_size() -> Args<'static> {
    vec![
        text(CONFIG),
        text(config::GET),
        text(config::MODEL_CHUNK_SIZE),
    ]
}

/// `AI.INFO key [RESETSTAT]`.
pub fn info(key: &[u8], reset_stat: bool) -> Args<'_> {
    let mut args = vec![text(INFO), key.into()];
    if reset_stat {
        args.push(text(model::RESETSTAT));
    }
    args
}

/// `EXISTS key`.
pub fn exists(key: &[u8]) -> Args<'_> {
    vec![text("EXISTS"), key.into()]
}

/// `DEL key...`.
pub fn del<K: AsRef<[u8]>>(keys: &[K]) -> Args<'_> {
    let mut args = vec![text("DEL")];
    args.extend(keys.iter().map(|k| Cow::Borrowed(k.as_ref())));
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Element;

    fn text(args: &Args<'_>) -> Vec<String> {
        args.iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }

    #[test]
    fn arguments_as_smartredis_sends_them() {
        assert_eq!(
            text(&tensorset(b"k", f32::dtype(), &[2, 3])),
            ["AI.TENSORSET", "k", "FLOAT", "2", "3", "BLOB"]
        );
        assert_eq!(
            text(&tensorget(b"k")),
            ["AI.TENSORGET", "k", "META", "BLOB"]
        );
    }

    #[test]
    fn model_and_script_commands() {
        let names = ["a".to_string(), "b".to_string()];
        let spec = ModelSpec {
            backend: "TF",
            device: "CPU",
            tag: "t",
            batch_size: 4,
            min_batch_size: 2,
            min_batch_timeout: 0,
            inputs: &names,
            outputs: &names[..1],
        };
        assert_eq!(
            text(&modelstore(&b"m"[..], &spec, b"abcde", 2)),
            [
                "AI.MODELSTORE",
                "m",
                "TF",
                "CPU",
                "TAG",
                "t",
                "BATCHSIZE",
                "4",
                "MINBATCHSIZE",
                "2",
                "INPUTS",
                "2",
                "a",
                "b",
                "OUTPUTS",
                "1",
                "a",
                "BLOB",
                "ab",
                "cd",
                "e"
            ]
        );
        let plain = ModelSpec {
            tag: "",
            batch_size: 0,
            min_batch_size: 0,
            inputs: &[],
            outputs: &[],
            ..spec
        };
        assert_eq!(
            text(&modelstore(&b"m"[..], &plain, b"abc", 10)),
            ["AI.MODELSTORE", "m", "TF", "CPU", "BLOB", "abc"]
        );
        assert_eq!(
            text(&modelexecute(&b"m"[..], &["x"], &["y", "z"], 7)),
            [
                "AI.MODELEXECUTE",
                "m",
                "INPUTS",
                "1",
                "x",
                "OUTPUTS",
                "2",
                "y",
                "z",
                "TIMEOUT",
                "7"
            ]
        );
        assert_eq!(
            text(&scriptrun(&b"s"[..], "f", &["x"], &["y"])),
            ["AI.SCRIPTRUN", "s", "f", "INPUTS", "x", "OUTPUTS", "y"]
        );
        assert_eq!(
            text(&scriptset(&b"s"[..], "CPU", "def f(x): return x")),
            ["AI.SCRIPTSET", "s", "CPU", "SOURCE", "def f(x): return x"]
        );
        assert_eq!(text(&modelget_blob(b"m")), ["AI.MODELGET", "m", "BLOB"]);
        assert_eq!(
            text(&scriptget_source(b"s")),
            ["AI.SCRIPTGET", "s", "SOURCE"]
        );
        assert_eq!(
            text(&config_model_chunk_size(1024)),
            ["AI.CONFIG", "MODEL_CHUNK_SIZE", "1024"]
        );
        assert_eq!(text(&info(b"m", true)), ["AI.INFO", "m", "RESETSTAT"]);
        assert_eq!(text(&del(&["a", "b"])), ["DEL", "a", "b"]);
    }
}
