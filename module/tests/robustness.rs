//! Concurrency and malformed input: 100 clients at once, a seeded argument fuzzer, huge shapes and VALUES
//! counts. Every malformed command must get an error reply and the server must stay up.

mod common;

use common::{err, words, Raw, RedisServer, Rng};

#[test]
fn hundred_concurrent_clients_get_their_own_data_back() {
    let server = RedisServer::with_module();
    let port = server.port;
    let threads: Vec<_> = (0..100u64)
        .map(|id| {
            std::thread::spawn(move || {
                let mut c = Raw::connect(port);
                let mut rng = Rng(id + 1);
                for round in 0..20 {
                    let key = format!("t{id}");
                    let n = 1 + rng.below(4096) as usize;
                    let data = rng.bytes(n);
                    let dims = n.to_string();
                    let r = c.cmd_bytes(&[
                        b"AI.TENSORSET",
                        key.as_bytes(),
                        b"UINT8",
                        dims.as_bytes(),
                        b"BLOB",
                        &data,
                    ]);
                    assert_eq!(r, b"+OK\r\n", "client {id} round {round}");
                    let got = c.cmd_bytes(&[b"AI.TENSORGET", key.as_bytes(), b"BLOB"]);
                    let want = [format!("${n}\r\n").into_bytes(), data, b"\r\n".to_vec()].concat();
                    assert_eq!(got, want, "client {id} round {round}");
                    let v = format!("{}", id as i64 - 50);
                    assert_eq!(
                        c.cmd(&["AI.TENSORSET", &key, "INT64", "VALUES", &v]),
                        "+OK\r\n"
                    );
                    assert_eq!(
                        c.cmd(&["AI.TENSORGET", &key, "VALUES"]),
                        format!("*1\r\n:{v}\r\n")
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client thread");
    }
    let mut c = Raw::new(&server);
    assert_eq!(c.cmd(&["DBSIZE"]), ":100\r\n");
}

#[test]
fn huge_shapes_and_counts_answer_errors() {
    let server = RedisServer::with_module();
    let mut c = Raw::new(&server);
    let big = (1u64 << 40).to_string();
    let e = |c: &mut Raw, args: &[&str], want: &str| assert_eq!(c.cmd(args), err(want), "{args:?}");
    e(
        &mut c,
        &["AI.TENSORSET", "k", "FLOAT", &big, &big],
        "ERR tensor is too large",
    );
    e(
        &mut c,
        &["AI.TENSORSET", "k", "STRING", &big],
        "ERR tensor is too large",
    );
    e(
        &mut c,
        &["AI.TENSORSET", "k", "UINT8", "536870913"],
        "ERR tensor is too large",
    );
    e(
        &mut c,
        &["AI.TENSORSET", "k", "FLOAT", &big, &big, "VALUES", "1"],
        "ERR wrong number of values was given in 'AI.TENSORSET' command",
    );
    e(
        &mut c,
        &["AI.TENSORSET", "k", "FLOAT", &big, &big, "BLOB", "abcd"],
        "ERR data length does not match tensor shape and type",
    );
    e(
        &mut c,
        &words("AI.TENSORSET k FLOAT 9223372036854775807 9223372036854775807 BLOB abcd"),
        "ERR data length does not match tensor shape and type",
    );
    e(
        &mut c,
        &["AI.TENSORSET", "k", "FLOAT", "9223372036854775808"],
        "ERR invalid or negative value found in tensor shape",
    );
    e(
        &mut c,
        &["AI.TENSORSET", "k", "FLOAT", "2", "two"],
        "ERR invalid or negative value found in tensor shape",
    );
    e(
        &mut c,
        &["AI.TENSORSET", "k", "FLOAT", "1e3"],
        "ERR invalid or negative value found in tensor shape",
    );
    e(
        &mut c,
        &["AI.TENSORSET", "k", "FLOAT", " 2"],
        "ERR invalid or negative value found in tensor shape",
    );
    // A large but valid VALUES list, and the same list one short.
    let n = 200_000usize;
    let vals: Vec<String> = (0..n).map(|i| (i % 1000).to_string()).collect();
    let count = n.to_string();
    let mut args: Vec<&str> = vec!["AI.TENSORSET", "v", "INT32", &count, "VALUES"];
    args.extend(vals.iter().map(String::as_str));
    assert_eq!(c.cmd(&args), "+OK\r\n");
    let blob = c.cmd_bytes(&[b"AI.TENSORGET", b"v", b"BLOB"]);
    assert!(blob.starts_with(format!("${}\r\n", n * 4).as_bytes()));
    args.pop();
    assert_eq!(
        c.cmd(&args),
        err("ERR wrong number of values was given in 'AI.TENSORSET' command")
    );
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn seeded_argument_fuzzer() {
    let mut server = RedisServer::with_module();
    let mut c = Raw::new(&server);
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let vocab: &[&[u8]] = &[
        b"AI.TENSORSET",
        b"AI.TENSORGET",
        b"AI.CONFIG",
        b"k",
        b"k2",
        b"FLOAT",
        b"double",
        b"INT8",
        b"INT16",
        b"INT32",
        b"INT64",
        b"UINT8",
        b"UINT16",
        b"BOOL",
        b"STRING",
        b"INT",
        b"BLOB",
        b"VALUES",
        b"META",
        b"blob",
        b"values",
        b"0",
        b"1",
        b"2",
        b"3",
        b"-1",
        b"-128",
        b"255",
        b"65536",
        b"1.5",
        b"nan",
        b"inf",
        b"-inf",
        b"1e308",
        b"",
        b"\0",
        b"a\0b\0",
        b"\x01\x00",
        b"9223372036854775807",
        b"-9223372036854775808",
        b"18446744073709551616",
        b"1099511627776",
        b"GET",
        b"LOADBACKEND",
        b"BACKENDSPATH",
        b"MODEL_CHUNK_SIZE",
        b"TF",
        b"ONNX",
        b"\xff\xfe",
    ];
    let commands: [&[u8]; 3] = [b"AI.TENSORSET", b"AI.TENSORGET", b"AI.CONFIG"];
    let mut oks = 0;
    let mut errors = 0;
    for i in 0..5000 {
        let len = rng.below(9) as usize;
        let mut args: Vec<Vec<u8>> = vec![commands[rng.below(3) as usize].to_vec()];
        if i % 2 == 0 {
            args = near_valid(&mut rng);
        }
        for _ in 0..len * (i % 2) {
            let a = match rng.below(10) {
                0 => {
                    let n = rng.below(16) as usize;
                    rng.bytes(n)
                }
                1 => rng.below(1 << 20).to_string().into_bytes(),
                _ => vocab[rng.below(vocab.len() as u64) as usize].to_vec(),
            };
            args.push(a);
        }
        let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        let reply = c.cmd_bytes(&refs);
        match reply[0] {
            b'-' => errors += 1,
            b'+' | b'$' | b'*' | b':' => oks += 1,
            _ => panic!("unexpected reply {reply:?} to {args:?} (#{i})"),
        }
        if reply[0] == b'-' {
            let line = String::from_utf8_lossy(&reply);
            assert!(
                line.starts_with("-ERR ") || line.starts_with("-WRONGTYPE "),
                "{line:?} for {args:?}"
            );
            assert!(!line.contains("internal error"), "{line:?} for {args:?}");
        }
    }
    assert!(oks > 500 && errors > 1000, "oks {oks} errors {errors}");
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    assert!(server.is_running());
}

/// A command close to a valid `AI.TENSORSET` / `AI.TENSORGET`, with the data length, value count or a token
/// sometimes off.
fn near_valid(rng: &mut Rng) -> Vec<Vec<u8>> {
    const TYPES: [(&str, usize); 10] = [
        ("FLOAT", 4),
        ("DOUBLE", 8),
        ("INT8", 1),
        ("INT16", 2),
        ("INT32", 4),
        ("INT64", 8),
        ("UINT8", 1),
        ("UINT16", 2),
        ("BOOL", 1),
        ("STRING", 0),
    ];
    let key = format!("k{}", rng.below(4)).into_bytes();
    if rng.below(3) == 0 {
        let mut a = vec![b"AI.TENSORGET".to_vec(), key];
        for _ in 0..rng.below(3) {
            a.push(
                [&b"META"[..], b"BLOB", b"VALUES", b"meta", b"x"][rng.below(5) as usize].to_vec(),
            );
        }
        return a;
    }
    let (ty, size) = TYPES[rng.below(10) as usize];
    let dims: Vec<u64> = (0..rng.below(4)).map(|_| 1 + rng.below(4)).collect();
    let n: u64 = dims.iter().product();
    let mut a = vec![b"AI.TENSORSET".to_vec(), key, ty.as_bytes().to_vec()];
    a.extend(dims.iter().map(|d| d.to_string().into_bytes()));
    let off = if rng.below(4) == 0 {
        rng.below(3) as i64 - 1
    } else {
        0
    };
    match rng.below(3) {
        0 => {}
        1 => {
            a.push(b"BLOB".to_vec());
            let mut blob = if size == 0 {
                (0..n)
                    .flat_map(|i| format!("s{i}\0").into_bytes())
                    .collect()
            } else {
                let mut b = rng.bytes(n as usize * size);
                if ty == "BOOL" {
                    b.iter_mut().for_each(|x| *x &= 1);
                }
                b
            };
            if off < 0 {
                blob.pop();
            } else if off > 0 {
                blob.push(1);
            }
            a.push(blob);
        }
        _ => {
            a.push(b"VALUES".to_vec());
            let count = (n as i64 + off).max(0);
            for _ in 0..count {
                let v = match (ty, rng.below(8)) {
                    (_, 0) => "-1".to_string(),
                    (_, 1) => "1.5".to_string(),
                    ("BOOL", _) => rng.below(2).to_string(),
                    _ => rng.below(100).to_string(),
                };
                a.push(v.into_bytes());
            }
        }
    }
    a
}

/// The BLOB argument is held, not copied: arguments that Redis recycles (Lua's argument cache, MULTI's queued
/// commands) must not change a stored tensor afterwards.
#[test]
fn held_blobs_survive_lua_and_multi() {
    let server = RedisServer::with_module();
    let mut c = Raw::new(&server);
    let script = "return redis.call('AI.TENSORSET', KEYS[1], 'UINT8', '3', 'BLOB', ARGV[1])";
    assert_eq!(c.cmd(&["EVAL", script, "1", "k1", "abc"]), "+OK\r\n");
    assert_eq!(c.cmd(&["EVAL", script, "1", "k2", "xyz"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&[
            "EVAL",
            "return redis.call('SET', KEYS[1], ARGV[1])",
            "1",
            "s",
            "qqq"
        ]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["AI.TENSORGET", "k1", "BLOB"]), "$3\r\nabc\r\n");
    assert_eq!(c.cmd(&["AI.TENSORGET", "k2", "BLOB"]), "$3\r\nxyz\r\n");
    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "m", "UINT8", "2", "BLOB", "mm"]),
        "+QUEUED\r\n"
    );
    assert_eq!(c.cmd(&["AI.TENSORGET", "m", "VALUES"]), "+QUEUED\r\n");
    assert_eq!(c.cmd(&["EXEC"]), "*2\r\n+OK\r\n*2\r\n:109\r\n:109\r\n");
    assert_eq!(c.cmd(&["AI.TENSORGET", "m", "BLOB"]), "$2\r\nmm\r\n");
}
