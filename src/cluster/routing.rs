//! What to do with a cluster error reply: `MOVED`/`ASK` redirections and transient cluster states.
//!
//! The retry policy is a property of the reply (as in redis-rs's `RetryMethod`), decided here once; the cluster
//! connection in [`crate::transport`] acts on it with a bounded number of redirections.

use super::slot::Slot;

/// Upper bound on redirections followed for one command before giving up.
pub(crate) const MAX_REDIRECTS: usize = 16;

/// How a server error reply should be handled by the cluster connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redirect {
    /// `MOVED <slot> <host:port>`: the slot now lives on another node; update the map and retry there.
    Moved {
        /// The slot that moved.
        slot: Slot,
        /// Its new primary.
        addr: String,
    },
    /// `ASK <slot> <host:port>`: the slot is being migrated; send `ASKING` and the command once to that node.
    Ask {
        /// The slot being migrated.
        slot: Slot,
        /// The importing node.
        addr: String,
    },
    /// `TRYAGAIN` or `CLUSTERDOWN`: transient; wait the command interval, refresh the map and retry.
    TryAgain,
}

impl Redirect {
    /// Classifies a server error message (without the leading `-`). `None`: not a cluster condition.
    pub fn parse(message: &str) -> Option<Redirect> {
        let mut parts = message.split_ascii_whitespace();
        let code = parts.next()?;
        match code {
            "MOVED" | "ASK" => {
                let slot = parts.next()?.parse::<u16>().ok()?;
                let slot = Slot::new(slot).ok()?;
                let addr = parts.next()?;
                // `:port` means "the host you are talking to" in Redis 7 when the node has no announced IP.
                let addr = addr.to_string();
                Some(if code == "MOVED" {
                    Redirect::Moved { slot, addr }
                } else {
                    Redirect::Ask { slot, addr }
                })
            }
            "TRYAGAIN" | "CLUSTERDOWN" => Some(Redirect::TryAgain),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_redirects() {
        assert_eq!(
            Redirect::parse("MOVED 3999 127.0.0.1:6381"),
            Some(Redirect::Moved {
                slot: Slot::new(3999).unwrap(),
                addr: "127.0.0.1:6381".into()
            })
        );
        assert_eq!(
            Redirect::parse("ASK 1 10.0.0.2:7000"),
            Some(Redirect::Ask {
                slot: Slot::new(1).unwrap(),
                addr: "10.0.0.2:7000".into()
            })
        );
        assert_eq!(
            Redirect::parse("CLUSTERDOWN The cluster is down"),
            Some(Redirect::TryAgain)
        );
        assert_eq!(Redirect::parse("ERR no such key"), None);
        assert_eq!(Redirect::parse("MOVED x y"), None);
        assert_eq!(Redirect::parse("MOVED 99999 h:1"), None);
    }
}
