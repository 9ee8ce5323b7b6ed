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

    /// The code a model's backend has in RedisAI's RDB encoding (`RAI_Backend`: TF 0, TFLITE 1, TORCH 2, ONNX 3).
    pub const fn rdb_code(self) -> u64 {
        match self {
            Backend::Tf => 0,
            Backend::Tflite => 1,
            Backend::Torch => 2,
            Backend::Onnx => 3,
        }
    }

    /// The backend of an RDB code.
    pub fn from_rdb_code(code: u64) -> Option<Backend> {
        Backend::ALL.into_iter().find(|b| b.rdb_code() == code)
    }

    /// RedisAI's directory for the backend under `BACKENDSPATH` (`redisai_onnxruntime`, ...), where the module
    /// looks for the library when no path was given.
    pub const fn library_dir(self) -> &'static str {
        match self {
            Backend::Tf => "redisai_tensorflow",
            Backend::Tflite => "redisai_tflite",
            Backend::Torch => "redisai_torch",
            Backend::Onnx => "redisai_onnxruntime",
        }
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
        for b in Backend::ALL {
            assert_eq!(Backend::from_rdb_code(b.rdb_code()), Some(b));
        }
        assert_eq!(Backend::Onnx.rdb_code(), 3);
    }
}
