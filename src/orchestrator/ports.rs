//! Ports and addresses: free ports, "is this port taken", and network interface names → IPv4.

use std::collections::HashSet;
use std::ffi::CStr;
use std::net::{Ipv4Addr, TcpListener};

use smartredis_protocol::cluster::BUS_PORT_OFFSET;

use super::error::{Error, Result};
use super::options::Bind;

/// Resolves the bind option to the address the shards bind and advertise.
pub fn resolve_bind(bind: &Bind) -> Result<String> {
    match bind {
        Bind::Address(a) => resolve_host(a),
        Bind::Interface(name) => interface_ipv4(name).map(|ip| ip.to_string()),
    }
}

/// An IPv4 address as is; a host name (`localhost`, a node name) resolved to its first IPv4 address, since cluster
/// nodes must announce an IP.
pub fn resolve_host(host: &str) -> Result<String> {
    use std::net::{SocketAddr, ToSocketAddrs};
    if host.parse::<Ipv4Addr>().is_ok() || host == "*" {
        return Ok(host.to_string());
    }
    let addrs = (host, 0u16).to_socket_addrs().map_err(|e| {
        Error::InvalidOption(format!("bind address {host:?} does not resolve: {e}"))
    })?;
    addrs
        .filter_map(|a| match a {
            SocketAddr::V4(v4) => Some(v4.ip().to_string()),
            SocketAddr::V6(_) => None,
        })
        .next()
        .ok_or_else(|| Error::InvalidOption(format!("bind address {host:?} has no IPv4 address")))
}

/// The address clients on this host use to reach a server bound to `host` (`0.0.0.0` → loopback).
pub fn connect_host(host: &str) -> String {
    if host == "0.0.0.0" || host == "*" {
        "127.0.0.1".into()
    } else {
        host.to_string()
    }
}

/// The first IPv4 address of a network interface, via `getifaddrs`.
pub fn interface_ipv4(name: &str) -> Result<Ipv4Addr> {
    let all = ipv4_interfaces();
    if let Some((_, ip)) = all.iter().find(|(n, _)| n == name) {
        return Ok(*ip);
    }
    let mut names: Vec<String> = all.into_iter().map(|(n, _)| n).collect();
    names.dedup();
    Err(Error::Interface {
        name: name.to_string(),
        available: names.join(", "),
    })
}

/// All (interface name, IPv4 address) pairs of this host.
pub fn ipv4_interfaces() -> Vec<(String, Ipv4Addr)> {
    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we free below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return out;
    }
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list returned by getifaddrs, valid until freeifaddrs.
        let ifa = unsafe { &*cur };
        if !ifa.ifa_addr.is_null() && !ifa.ifa_name.is_null() {
            // SAFETY: ifa_addr is non-null and points to a sockaddr; sa_family says which kind.
            let family = unsafe { (*ifa.ifa_addr).sa_family };
            if i32::from(family) == libc::AF_INET {
                // SAFETY: for AF_INET the address is a sockaddr_in.
                let sin = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in) };
                let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
                // SAFETY: ifa_name is a NUL-terminated C string owned by the list.
                let name = unsafe { CStr::from_ptr(ifa.ifa_name) }
                    .to_string_lossy()
                    .into_owned();
                out.push((name, ip));
            }
        }
        cur = ifa.ifa_next;
    }
    // SAFETY: `head` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    out
}

/// Whether `host:port` can be bound right now.
pub fn port_is_free(host: &str, port: u16) -> bool {
    TcpListener::bind((host, port)).is_ok()
}

/// Picks `n` client ports on `host`: consecutive from `base`, or free ones chosen by the kernel. With `cluster`,
/// each port's bus port (`port + BUS_PORT_OFFSET`) must be free as well. A taken port is an error naming it.
pub fn pick_ports(host: &str, n: usize, base: Option<u16>, cluster: bool) -> Result<Vec<u16>> {
    if let Some(base) = base {
        let mut ports = Vec::with_capacity(n);
        for i in 0..n {
            let port = base + i as u16;
            check_free(host, port, format!("client port of shard {i}"))?;
            if cluster {
                check_free(
                    host,
                    port + BUS_PORT_OFFSET,
                    format!("cluster bus port of shard {i}"),
                )?;
            }
            ports.push(port);
        }
        return Ok(ports);
    }
    let mut chosen = HashSet::new();
    let mut ports = Vec::with_capacity(n);
    let mut tries = 0;
    while ports.len() < n {
        tries += 1;
        if tries > 100 * n + 100 {
            return Err(Error::InvalidOption(format!(
                "could not find {n} free ports on {host}"
            )));
        }
        let port = TcpListener::bind((host, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| Error::io(format!("bind {host}:0"), e))?
            .port();
        if cluster
            && (port > u16::MAX - BUS_PORT_OFFSET || !port_is_free(host, port + BUS_PORT_OFFSET))
        {
            continue;
        }
        if chosen.insert(port) {
            ports.push(port);
        }
    }
    Ok(ports)
}

fn check_free(host: &str, port: u16, what: String) -> Result<()> {
    if port_is_free(host, port) {
        Ok(())
    } else {
        Err(Error::PortInUse {
            host: host.to_string(),
            port,
            what,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_interface_resolves() {
        assert_eq!(interface_ipv4("lo").ok(), Some(Ipv4Addr::LOCALHOST));
        assert!(matches!(
            interface_ipv4("no-such-nic0"),
            Err(Error::Interface { .. })
        ));
    }

    #[test]
    fn host_names_resolve_to_ipv4() {
        assert_eq!(resolve_host("localhost").ok().as_deref(), Some("127.0.0.1"));
        assert_eq!(resolve_host("10.1.2.3").ok().as_deref(), Some("10.1.2.3"));
        assert!(matches!(
            resolve_host("no-such-host.invalid"),
            Err(Error::InvalidOption(_))
        ));
    }

    #[test]
    fn picks_distinct_free_ports() {
        let ports = pick_ports("127.0.0.1", 8, None, true).unwrap_or_default();
        assert_eq!(ports.len(), 8);
        let set: HashSet<_> = ports.iter().collect();
        assert_eq!(set.len(), 8);
    }

    #[test]
    fn taken_base_port_is_named() {
        let l = TcpListener::bind("127.0.0.1:0").ok();
        let port = l
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port())
            .unwrap_or(1);
        match pick_ports("127.0.0.1", 1, Some(port), false) {
            Err(Error::PortInUse { port: p, .. }) => assert_eq!(p, port),
            other => panic!("expected PortInUse, got {other:?}"),
        }
    }
}
