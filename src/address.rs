//! Database addresses: parsing `SSDB` into [`Address`]es.
//!
//! Accepted entry forms (comma-separated in `SSDB`): `host:port`, `tcp://host:port`, `[ipv6]:port` (also after
//! `tcp://`) and `unix:///path/to/socket`. As upstream, only alphanumerics and `. : , / _ -` may appear — plus
//! `[` and `]`, because unlike upstream we accept bracketed IPv6 literals. Ports may be decimal, `0x` hex or
//! leading-`0` octal (upstream parses them with `stoul(port, nullptr, 0)`), but must be whole numbers in
//! `1..=65535`.

use std::fmt;
use std::net::Ipv6Addr;
use std::path::PathBuf;

use crate::error::{Error, Result};

/// One database endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Address {
    /// A TCP endpoint. `host` is a name or an IP literal (IPv6 without brackets).
    Tcp {
        /// Host name or IP address.
        host: String,
        /// TCP port (never 0).
        port: u16,
    },
    /// A Unix domain socket (standalone databases only).
    Unix(PathBuf),
}

/// Prefix of a Unix socket entry.
const UNIX_PREFIX: &str = "unix://";
/// Optional prefix of a TCP entry.
const TCP_PREFIX: &str = "tcp://";

fn invalid(entry: &str, why: &str) -> Error {
    Error::Runtime(format!(
        "{entry} is not a valid database node address: {why}."
    ))
}

/// Parses a port as C's `strtoul(s, NULL, 0)` would (decimal, `0x` hex, leading-`0` octal), but requiring the
/// whole text to be consumed.
fn parse_port(entry: &str, text: &str) -> Result<u16> {
    let parsed = if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        u32::from_str_radix(hex, 16)
    } else if text.len() > 1 && text.starts_with('0') {
        u32::from_str_radix(&text[1..], 8)
    } else {
        text.parse::<u32>()
    };
    match parsed {
        Ok(p) if (1..=u32::from(u16::MAX)).contains(&p) => Ok(p as u16),
        Ok(_) => Err(invalid(entry, "the port must be between 1 and 65535")),
        Err(_) => Err(invalid(
            entry,
            &format!("the port \"{text}\" is not a number"),
        )),
    }
}

impl Address {
    /// Parses one address entry (see the module docs for the forms). Errors are runtime errors naming `text`.
    pub fn parse(text: &str) -> Result<Address> {
        if let Some(c) = text.chars().find(|c| !allowed_char(*c)) {
            return Err(Error::Runtime(format!(
                "The provided SSDB value, {text} is invalid because of character {c}"
            )));
        }
        if let Some(path) = text.strip_prefix(UNIX_PREFIX) {
            if path.is_empty() {
                return Err(invalid(text, "the socket path is empty"));
            }
            return Ok(Address::Unix(PathBuf::from(path)));
        }
        let rest = text.strip_prefix(TCP_PREFIX).unwrap_or(text);
        let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| invalid(text, "missing ']' after the IPv6 address"))?;
            let port = after
                .strip_prefix(':')
                .ok_or_else(|| invalid(text, "expected ':<port>' after ']'"))?;
            if host.parse::<Ipv6Addr>().is_err() {
                return Err(invalid(text, &format!("{host} is not an IPv6 address")));
            }
            (host, port)
        } else {
            if rest.contains(['[', ']']) {
                return Err(invalid(text, "brackets may only enclose an IPv6 host"));
            }
            let (host, port) = rest
                .split_once(':')
                .ok_or_else(|| invalid(text, "expected host:port"))?;
            if port.contains(':') {
                return Err(invalid(
                    text,
                    "write IPv6 addresses in brackets, as [::1]:6379",
                ));
            }
            (host, port)
        };
        if host.is_empty() {
            return Err(invalid(text, "the host is empty"));
        }
        if port.is_empty() {
            return Err(invalid(text, "the port is empty"));
        }
        Ok(Address::Tcp {
            host: host.to_string(),
            port: parse_port(text, port)?,
        })
    }

    /// An address a server reports (`CLUSTER SLOTS`, `MOVED`, `ASK`): `host:port`, an IPv6 host bracketed or not.
    /// A malformed one is a database error.
    pub fn from_host_port(s: &str) -> Result<Address> {
        let bad = || Error::Database(format!("{s} is not a valid database node address."));
        let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        Ok(Address::Tcp {
            host: host.to_string(),
            port: port.parse().map_err(|_| bad())?,
        })
    }

    /// Whether this is a Unix domain socket address.
    pub fn is_unix(&self) -> bool {
        matches!(self, Address::Unix(_))
    }

    /// The host of a TCP address, for a cluster node; a Unix socket cannot reach a cluster (upstream's refusal).
    pub fn cluster_host(&self) -> Result<&str> {
        match self {
            Address::Tcp { host, .. } => Ok(host),
            Address::Unix(_) => Err(Error::Runtime(
                "Unix Domain Socket is not supported with clustered Redis".into(),
            )),
        }
    }
}

/// Characters allowed in `SSDB`: upstream's set, plus brackets for IPv6 literals.
fn allowed_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | ',' | '/' | '_' | '-' | '[' | ']')
}

impl fmt::Display for Address {
    /// The canonical form: `host:port`, `[v6]:port` or `unix://path`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Address::Tcp { host, port } => write!(f, "{host}:{port}"),
            Address::Unix(path) => write!(f, "{UNIX_PREFIX}{}", path.display()),
        }
    }
}

/// Parses an `SSDB` value: a comma-separated list of addresses, in order. An empty value or an empty entry is an
/// error, as is any malformed entry (the error names it).
pub fn parse_ssdb(value: &str) -> Result<Vec<Address>> {
    if value.is_empty() {
        return Err(Error::Runtime("The SSDB value is empty.".into()));
    }
    if let Some(c) = value.chars().find(|c| !allowed_char(*c)) {
        return Err(Error::Runtime(format!(
            "The provided SSDB value, {value} is invalid because of character {c}"
        )));
    }
    value
        .split(',')
        .map(|entry| {
            if entry.is_empty() {
                Err(Error::Runtime(format!(
                    "The provided SSDB value, {value} has an empty entry."
                )))
            } else {
                Address::parse(entry)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(host: &str, port: u16) -> Address {
        Address::Tcp {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn parses_all_forms() {
        assert_eq!(
            Address::parse("127.0.0.1:6379").unwrap(),
            tcp("127.0.0.1", 6379)
        );
        assert_eq!(
            Address::parse("tcp://node-1.example_x:7000").unwrap(),
            tcp("node-1.example_x", 7000)
        );
        assert_eq!(Address::parse("[::1]:6380").unwrap(), tcp("::1", 6380));
        assert_eq!(
            Address::parse("tcp://[fe80::1:2]:6381").unwrap(),
            tcp("fe80::1:2", 6381)
        );
        assert_eq!(
            Address::parse("unix:///tmp/redis.sock").unwrap(),
            Address::Unix("/tmp/redis.sock".into())
        );
        assert_eq!(Address::parse("h:0x10").unwrap(), tcp("h", 16));
        assert_eq!(Address::parse("h:010").unwrap(), tcp("h", 8));
        assert!(Address::parse("unix:///s").unwrap().is_unix());
    }

    #[test]
    fn server_reported_addresses() {
        assert_eq!(
            Address::from_host_port("10.0.0.2:7000").unwrap(),
            tcp("10.0.0.2", 7000)
        );
        assert_eq!(
            Address::from_host_port("::1:6380").unwrap(),
            tcp("::1", 6380)
        );
        assert_eq!(
            Address::from_host_port("[::1]:6380").unwrap(),
            tcp("::1", 6380)
        );
        for bad in ["h", "h:x", "h:70000"] {
            let e = Address::from_host_port(bad).unwrap_err();
            assert_eq!(e.code(), crate::SRError::SRDatabaseError, "{bad}");
        }
        assert_eq!(tcp("h", 1).cluster_host().unwrap(), "h");
        let e = Address::Unix("/s".into()).cluster_host().unwrap_err();
        assert!(e.message().contains("Unix Domain Socket"), "{e}");
    }

    #[test]
    fn display_is_canonical() {
        for s in [
            "127.0.0.1:6379",
            "[::1]:6380",
            "unix:///tmp/r.sock",
            "host:1",
        ] {
            assert_eq!(Address::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Address::parse("tcp://h:0x10").unwrap().to_string(), "h:16");
    }

    #[test]
    fn rejects_bad_entries_naming_them() {
        let cases = [
            ("localhost", "expected host:port"),
            (":6379", "the host is empty"),
            ("h:", "the port is empty"),
            ("h:abc", "is not a number"),
            ("h:6379x", "is not a number"),
            ("h:0", "between 1 and 65535"),
            ("h:70000", "between 1 and 65535"),
            ("::1:6379", "in brackets"),
            ("[::1:6379", "missing ']'"),
            ("[::1]6379", "expected ':<port>'"),
            ("[nothex]:1", "is not an IPv6 address"),
            ("unix://", "socket path is empty"),
            ("h]:1", "brackets"),
        ];
        for (entry, why) in cases {
            let err = Address::parse(entry).unwrap_err();
            let m = err.message();
            assert_eq!(err.code(), crate::SRError::SRRuntimeError);
            assert!(m.starts_with(entry) && m.contains(why), "{entry}: {m}");
        }
        let err = Address::parse("h ost:1").unwrap_err();
        assert_eq!(
            err.message(),
            "The provided SSDB value, h ost:1 is invalid because of character  "
        );
    }

    #[test]
    fn parses_lists() {
        assert_eq!(
            parse_ssdb("a:1,tcp://b:2,[::1]:3").unwrap(),
            vec![tcp("a", 1), tcp("b", 2), tcp("::1", 3)]
        );
        assert!(parse_ssdb("").is_err());
        assert!(parse_ssdb("a:1,,b:2")
            .unwrap_err()
            .message()
            .contains("empty entry"));
        assert!(parse_ssdb("a:1,b")
            .unwrap_err()
            .message()
            .starts_with("b is not"));
        assert!(parse_ssdb("a:1;b:2")
            .unwrap_err()
            .message()
            .ends_with("character ;"));
    }
}
