//! Model backends (RedisAI `RAI_Backend`): the names a backend library path is given for, at load time
//! (`TORCH <path>`) or with `AI.CONFIG LOADBACKEND`.

/// A model backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// TensorFlow.
    Tf,
    /// TensorFlow Lite.
    Tflite,
    /// PyTorch (TorchScript).
    Torch,
    /// ONNX Runtime.
    Onnx,
}

impl Backend {
    /// Every backend, in RedisAI's order.
    pub const ALL: [Backend; 4] = [Backend::Tf, Backend::Tflite, Backend::Torch, Backend::Onnx];

    /// The upper-case name used on the wire and in load arguments.
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Tf => "TF",
            Backend::Tflite => "TFLITE",
            Backend::Torch => "TORCH",
            Backend::Onnx => "ONNX",
        }
    }

    /// Parses a backend name case-insensitively.
    pub fn parse(name: &str) -> Option<Backend> {
        Backend::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(name))
    }

    /// The names, for messages: `TF, TFLITE, TORCH or ONNX`.
    pub fn names_for_humans() -> String {
        let names: Vec<&str> = Backend::ALL.iter().map(|b| b.name()).collect();
        let (last, rest) = names.split_last().unwrap_or((&"", &[]));
        format!("{} or {last}", rest.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_case_insensitively() {
        for b in Backend::ALL {
            assert_eq!(Backend::parse(&b.name().to_lowercase()), Some(b));
        }
        assert_eq!(Backend::parse("TENSORRT"), None);
        assert_eq!(Backend::names_for_humans(), "TF, TFLITE, TORCH or ONNX");
    }
}
