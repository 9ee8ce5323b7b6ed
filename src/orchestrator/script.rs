//! Shell text for generated job scripts and printed command lines: quoting that `bash` reads back unchanged.

/// `s` quoted for a POSIX shell: as is when it holds only safe characters, else in single quotes.
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The words of a command line, each quoted, separated by spaces.
pub fn shell_line<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| shell_quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(shell_quote("--port"), "--port");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("normal 0 0 0"), "'normal 0 0 0'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("{title}"), "'{title}'");
        assert_eq!(shell_line(&["a b", "c"]), "'a b' c");
    }
}
