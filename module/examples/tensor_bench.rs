//! Module benchmark (`make bench-module`): `AI.TENSORSET k UINT8 n BLOB` / `AI.TENSORGET k BLOB` against plain
//! `SET` / `GET` of the same bytes on the same server, 1 KiB .. 128 MiB, median of several repetitions.
//!
//! The client is a minimal raw RESP writer/reader so that client overhead is the same, and small, on both sides:
//! the payload is written straight from its buffer and the reply is read straight into a preallocated one.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use testkit::RedisServer;

struct Client {
    r: BufReader<TcpStream>,
    buf: Vec<u8>,
}

impl Client {
    fn send(&mut self, args: &[&[u8]]) {
        let mut head = format!("*{}\r\n", args.len()).into_bytes();
        let s = self.r.get_mut();
        for (i, a) in args.iter().enumerate() {
            head.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            if i + 1 == args.len() && a.len() > 4096 {
                // Large payload: header, then the caller's bytes as they are.
                s.write_all(&head).unwrap();
                s.write_all(a).unwrap();
                head = b"\r\n".to_vec();
            } else {
                head.extend_from_slice(a);
                head.extend_from_slice(b"\r\n");
            }
        }
        s.write_all(&head).unwrap();
    }

    /// Reads a simple-string or bulk reply; returns the bulk length.
    fn read(&mut self) -> usize {
        let mut line = Vec::new();
        self.r.read_until(b'\n', &mut line).unwrap();
        match line[0] {
            b'+' => 0,
            b'$' => {
                let n: usize = std::str::from_utf8(&line[1..line.len() - 2])
                    .unwrap()
                    .parse()
                    .unwrap();
                self.buf.resize(n + 2, 0);
                self.r.read_exact(&mut self.buf).unwrap();
                n
            }
            _ => panic!("unexpected reply {}", String::from_utf8_lossy(&line)),
        }
    }

    fn call(&mut self, args: &[&[u8]]) -> usize {
        self.send(args);
        self.read()
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn fmt(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 10_000.0 {
        format!("{:.1} ms", us / 1000.0)
    } else {
        format!("{us:.1} us")
    }
}

fn main() {
    let server = RedisServer::options()
        .with_module()
        .args(["--client-query-buffer-limit", "2gb"])
        .start();
    let s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_nodelay(true).unwrap();
    let mut c = Client {
        r: BufReader::with_capacity(1 << 16, s),
        buf: Vec::new(),
    };
    let sizes: [(usize, &str); 5] = [
        (1 << 10, "1 KiB"),
        (64 << 10, "64 KiB"),
        (1 << 20, "1 MiB"),
        (16 << 20, "16 MiB"),
        (128 << 20, "128 MiB"),
    ];
    println!(
        "redis-server with libsmartredis_ai.so on 127.0.0.1:{} (median per operation)",
        server.port
    );
    println!(
        "{:>8} | {:>10} {:>12} {:>6} | {:>10} {:>12} {:>6}",
        "size", "SET", "TENSORSET", "ratio", "GET", "TENSORGET", "ratio"
    );
    let mut worst: f64 = 0.0;
    let mut server_rows = Vec::new();
    for (size, label) in sizes {
        assert_eq!(c.call(&[b"CONFIG", b"RESETSTAT"]), 0);
        let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        let n = size.to_string();
        // Each sample times one SET, one TENSORSET, one GET and one TENSORGET back to back, so the compared
        // operations see the same machine load; the median of many samples filters out scheduling noise.
        let samples = (512usize << 20).div_ceil(size).clamp(15, 4000);
        let (mut set, mut tset, mut get, mut tget) = (vec![], vec![], vec![], vec![]);
        for i in 0..samples {
            // Alternate which of the pair goes first, so neither always follows the other's work.
            let mut do_set = |c: &mut Client| {
                set.push(time(|| assert_eq!(c.call(&[b"SET", b"s", &data]), 0)));
            };
            let mut do_tset = |c: &mut Client| {
                tset.push(time(|| {
                    assert_eq!(
                        c.call(&[
                            b"AI.TENSORSET",
                            b"t",
                            b"UINT8",
                            n.as_bytes(),
                            b"BLOB",
                            &data
                        ]),
                        0
                    )
                }));
            };
            if i % 2 == 0 {
                do_set(&mut c);
                do_tset(&mut c);
            } else {
                do_tset(&mut c);
                do_set(&mut c);
            }
            let mut do_get =
                |c: &mut Client| get.push(time(|| assert_eq!(c.call(&[b"GET", b"s"]), size)));
            let mut do_tget = |c: &mut Client| {
                tget.push(time(|| {
                    assert_eq!(c.call(&[b"AI.TENSORGET", b"t", b"BLOB"]), size)
                }))
            };
            if i % 2 == 0 {
                do_get(&mut c);
                do_tget(&mut c);
            } else {
                do_tget(&mut c);
                do_get(&mut c);
            }
        }
        assert_eq!(
            c.buf[..size],
            data[..],
            "TENSORGET returned the stored bytes"
        );
        // Server-side time per call (INFO commandstats), which the machine's load disturbs much less.
        let n = c.call(&[b"INFO", b"commandstats"]);
        let stats = String::from_utf8_lossy(&c.buf[..n]).into_owned();
        let per_call = |name: &str| {
            stats
                .lines()
                .find_map(|l| l.strip_prefix(&format!("cmdstat_{name}:")))
                .and_then(|l| l.split(',').find_map(|f| f.strip_prefix("usec_per_call=")))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        let names = ["set", "ai.tensorset", "get", "ai.tensorget"];
        server_rows.push((label, names.map(per_call)));
        let (set, tset, get, tget) = (median(set), median(tset), median(get), median(tget));
        let r1 = tset.as_secs_f64() / set.as_secs_f64();
        let r2 = tget.as_secs_f64() / get.as_secs_f64();
        worst = worst.max(r1).max(r2);
        println!(
            "{label:>8} | {:>10} {:>12} {r1:>5.2}x | {:>10} {:>12} {r2:>5.2}x",
            fmt(set),
            fmt(tset),
            fmt(get),
            fmt(tget)
        );
    }
    println!("worst ratio {worst:.2}x (target <= 1.10x)");
    println!();
    println!("server time per call (INFO commandstats usec_per_call: command execution only, without reading");
    println!("the request from the socket, which dominates for large payloads)");
    println!(
        "{:>8} | {:>10} {:>12} {:>6} | {:>10} {:>12} {:>6}",
        "size", "SET", "TENSORSET", "ratio", "GET", "TENSORGET", "ratio"
    );
    for (label, [s, ts, g, tg]) in server_rows {
        println!(
            "{label:>8} | {:>7.2} us {:>9.2} us {:>5.2}x | {:>7.2} us {:>9.2} us {:>5.2}x",
            s,
            ts,
            ts / s,
            g,
            tg,
            tg / g
        );
    }
}
