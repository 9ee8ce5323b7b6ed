//! Text handed to C: the one conversion of Rust strings to C strings, used by logging and by the C ABI.

use std::ffi::CString;

/// Builds a C string from text that may contain NUL bytes (they are shown as `\0`, never truncating silently).
pub fn to_cstring(text: &str) -> CString {
    CString::new(text.replace('\0', "\\0")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn nul_bytes_are_shown() {
        assert_eq!(super::to_cstring("a\0b").to_str().unwrap(), "a\\0b");
    }
}
