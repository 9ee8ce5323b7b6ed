//! Text handed to C: the one conversion of Rust strings to C strings, used by logging and by the C ABI.

use std::ffi::CString;

/// Builds a C string from text that may contain NUL bytes (they are shown as `\0`, never truncating silently).
pub fn to_cstring(text: &str) -> CString {
    CString::new(text.replace('\0', "\\0")).unwrap_or_default()
}

/// How much of a server reply or message an error text quotes.
pub(crate) const QUOTE_LIMIT: usize = 256;

/// `text`, cut at [`QUOTE_LIMIT`] bytes (on a character boundary) with the full length noted, so that an error
/// quoting an unexpected reply stays short whatever the reply's size.
pub fn capped(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= QUOTE_LIMIT {
        return text.into();
    }
    let mut end = QUOTE_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes in all)", &text[..end], text.len()).into()
}

/// A reply (any `Debug` value) as an error text quotes it: its `Debug` form, [`capped`].
pub fn quote<T: std::fmt::Debug + ?Sized>(value: &T) -> String {
    let mut out = CappedWriter(String::new(), 0);
    // Stops formatting (with an error) once the limit is passed, so a huge reply is never formatted whole.
    let _ = std::fmt::write(&mut out, format_args!("{value:?}"));
    if out.1 > QUOTE_LIMIT {
        format!("{}... (cut)", out.0)
    } else {
        out.0
    }
}

struct CappedWriter(String, usize);

impl std::fmt::Write for CappedWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.1 += s.len();
        for c in s.chars() {
            if self.0.len() + c.len_utf8() > QUOTE_LIMIT {
                return Err(std::fmt::Error);
            }
            self.0.push(c);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_are_capped() {
        let long = "é".repeat(1000);
        let c = super::capped(&long);
        assert!(c.len() < super::QUOTE_LIMIT + 40, "{c}");
        assert!(c.ends_with("(2000 bytes in all)"), "{c}");
        assert_eq!(super::capped("short"), "short");
        let q = super::quote(&vec![7u8; 100_000]);
        assert!(
            q.len() < super::QUOTE_LIMIT + 20 && q.ends_with("(cut)"),
            "{q}"
        );
        assert_eq!(super::quote(&[1, 2]), "[1, 2]");
    }

    #[test]
    fn nul_bytes_are_shown() {
        assert_eq!(super::to_cstring("a\0b").to_str().unwrap(), "a\\0b");
    }
}
