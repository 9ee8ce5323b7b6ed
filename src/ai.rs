//! The RedisAI commands the client sends, built as data (argument lists), exactly as SmartRedis 0.6.1 sends them
//! (reference §5). Their RESP encoding is done in [`crate::transport`] only.

use std::borrow::Cow;

use smartredis_protocol::commands::{keyword, model, INFO, TENSORGET, TENSORSET};

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

/// `AI.INFO key [RESETSTAT]`: the run statistics of a model or script (or their reset).
pub fn info(key: &[u8], reset_stat: bool) -> Args<'_> {
    let mut args: Args<'_> = vec![INFO.as_bytes().into(), key.into()];
    if reset_stat {
        args.push(model::RESETSTAT.as_bytes().into());
    }
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
        assert_eq!(text(&info(b"m", false)), ["AI.INFO", "m"]);
        assert_eq!(text(&info(b"m", true)), ["AI.INFO", "m", "RESETSTAT"]);
    }
}
