//! The AI_TENSOR type: RDB (SAVE + restart, DEBUG RELOAD, DUMP/RESTORE incl. RedisAI's own v4 payloads),
//! AOF rewrite, replication, and the generic key commands.

mod common;

use std::time::Duration;

use common::{bulk, bwords, err, rewrite_aof, synced, wait_for, words, Raw, RedisServer, Rng, AOF};

const BOUND: Duration = Duration::from_secs(30);

/// Stores one tensor of every type (BLOB, VALUES, zero-filled and scalar ones) and returns the keys with their
/// expected `AI.TENSORGET key META BLOB` replies.
fn populate(c: &mut Raw) -> Vec<(String, Vec<u8>)> {
    let mut rng = Rng(42);
    let big = rng.bytes(1 << 20);
    let cmds: Vec<Vec<Vec<u8>>> = vec![
        vec![
            b"f".to_vec(),
            b"FLOAT".to_vec(),
            b"2".to_vec(),
            b"VALUES".to_vec(),
            b"1".to_vec(),
            b"-2.5".to_vec(),
        ],
        vec![
            b"d".to_vec(),
            b"DOUBLE".to_vec(),
            b"2".to_vec(),
            b"1".to_vec(),
        ],
        vec![
            b"i8".to_vec(),
            b"INT8".to_vec(),
            b"2".to_vec(),
            b"VALUES".to_vec(),
            b"-5".to_vec(),
            b"5".to_vec(),
        ],
        vec![
            b"i16".to_vec(),
            b"INT16".to_vec(),
            b"VALUES".to_vec(),
            b"-300".to_vec(),
        ],
        vec![
            b"i32".to_vec(),
            b"INT32".to_vec(),
            b"2".to_vec(),
            b"1".to_vec(),
            b"VALUES".to_vec(),
            b"1".to_vec(),
            b"2".to_vec(),
        ],
        vec![
            b"i64".to_vec(),
            b"INT64".to_vec(),
            b"1".to_vec(),
            b"BLOB".to_vec(),
            (-7i64).to_le_bytes().to_vec(),
        ],
        vec![
            b"u8".to_vec(),
            b"UINT8".to_vec(),
            big.len().to_string().into_bytes(),
            b"BLOB".to_vec(),
            big,
        ],
        vec![
            b"u16".to_vec(),
            b"UINT16".to_vec(),
            b"1".to_vec(),
            b"VALUES".to_vec(),
            b"65535".to_vec(),
        ],
        vec![
            b"b".to_vec(),
            b"BOOL".to_vec(),
            b"3".to_vec(),
            b"BLOB".to_vec(),
            vec![1, 0, 1],
        ],
        vec![
            b"s".to_vec(),
            b"STRING".to_vec(),
            b"3".to_vec(),
            b"VALUES".to_vec(),
            b"a".to_vec(),
            b"".to_vec(),
            b"xyz".to_vec(),
        ],
    ];
    let mut out = Vec::new();
    for args in cmds {
        let mut full: Vec<&[u8]> = vec![b"AI.TENSORSET"];
        full.extend(args.iter().map(|a| a.as_slice()));
        assert_eq!(c.cmd_bytes(&full), b"+OK\r\n");
        let key = String::from_utf8(args[0].clone()).unwrap();
        let reply = c.cmd_bytes(&[b"AI.TENSORGET", key.as_bytes(), b"META", b"BLOB"]);
        assert!(reply.starts_with(b"*6\r\n"), "{key}");
        out.push((key, reply));
    }
    out
}

fn check(c: &mut Raw, expected: &[(String, Vec<u8>)]) {
    for (key, reply) in expected {
        assert_eq!(
            &c.cmd_bytes(&[b"AI.TENSORGET", key.as_bytes(), b"META", b"BLOB"]),
            reply,
            "{key}"
        );
        assert_eq!(c.cmd(&["TYPE", key]), "+AI_TENSOR\r\n");
    }
}

#[test]
fn save_and_restart_on_the_same_dir() {
    let mut server = RedisServer::with_module();
    let _keep = server.keep_dir();
    let dir = server.dir.clone();
    let mut c = Raw::new(&server);
    let expected = populate(&mut c);
    assert_eq!(c.cmd(&["SAVE"]), "+OK\r\n");
    server.shutdown(false);
    let server = RedisServer::options().with_module().dir(&dir).start();
    let mut c = Raw::new(&server);
    assert_eq!(c.cmd(&["DBSIZE"]), format!(":{}\r\n", expected.len()));
    check(&mut c, &expected);
}

#[test]
fn debug_reload_keeps_tensors() {
    let server = RedisServer::with_module();
    let mut c = Raw::new(&server);
    let expected = populate(&mut c);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    check(&mut c, &expected);
    // Values loaded from RDB are held without a copy; writing over them and reloading again still works.
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "f", "FLOAT", "VALUES", "9"]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "f", "VALUES"]),
        format!("*1\r\n{}", bulk("9"))
    );
}

/// RedisAI's own v4 `DUMP` payloads from `tests/flow/test_serializations.py`.
const REDISAI_V4_INT32: &[u8] = b"\x07\x81\x00\x8f\xd3\x10\xd4\x8eD\x04\x02\x00\x02 \x02\x02\x02\x02\x02\x01\x05\x08\x01\x00\x00\x00\x02\x00\x00\x00\x00\t\x00Viy\xab4\xbe\xdd\x82";
/// Its STRING vector there predates the element offsets RedisAI 1.2.7 writes and requires after the data: refused.
const REDISAI_V4_STRING_NO_OFFSETS: &[u8] = b"\x07\x81\x00\x8f\xd3\x10\xd4\x8eD\x04\x02\x07\x02\x08\x02\x01\x02\x02\x05\x12str_val1\x00str_val2\x00\x00\t\x00\xf9;\xe0\xd12.\x06z";

/// RedisAI 1.2.7's `DUMP` of `AI.TENSORSET k STRING 2 VALUES str_val1 str_val2` up to its trailer
/// (`encode_v4.c`): code 7, 8 bits, 1 dim of 2, the data, then the element offsets 0 and 9.
const REDISAI_127_STRING_BODY: &[u8] = b"\x07\x81\x00\x8f\xd3\x10\xd4\x8eD\x04\x02\x07\x02\x08\x02\x01\x02\x02\x05\x12str_val1\x00str_val2\x00\x02\x00\x02\x09";

/// RedisAI's v0 and v1 INT32 `[2, 1]` tensor payloads (same file).
const REDISAI_V0_INT32: &[u8] = b"\x07\x81\x00\x8f\xd3\x10\xd4\x8eD\x00\x02\x01\x02\x00\x02 \x02\x00\x02\x01\x02\x02\x02\x02\x02\x01\x02\x01\x02\x01\x02\x00\x05\x08\x01\x00\x00\x00\x02\x00\x00\x00\x00\t\x00^p\x94ty\xf8\xd7y";
const REDISAI_V1_INT32: &[u8] = b"\x07\x81\x00\x8f\xd3\x10\xd4\x8eD\x01\x02\x01\x02\x00\x02 \x02\x00\x02\x01\x02\x02\x02\x02\x02\x01\x02\x01\x02\x01\x02\x00\x05\x08\x01\x00\x00\x00\x02\x00\x00\x00\x00\t\x00\x94\x04\xfd\xf0\x89\x0b(\x03";

#[test]
fn restores_redisai_v0_and_v1_dumps() {
    let server = RedisServer::with_module();
    let mut c = Raw::new(&server);
    for (key, payload) in [("v0", REDISAI_V0_INT32), ("v1", REDISAI_V1_INT32)] {
        assert_eq!(
            c.cmd_bytes(&[b"RESTORE", key.as_bytes(), b"0", payload]),
            b"+OK\r\n",
            "{key}"
        );
        let meta = format!(
            "*4\r\n{}{}{}*2\r\n:2\r\n:1\r\n",
            bulk("dtype"),
            bulk("INT32"),
            bulk("shape")
        );
        assert_eq!(c.cmd(&["AI.TENSORGET", key, "META"]), meta);
        assert_eq!(
            c.cmd(&["AI.TENSORGET", key, "VALUES"]),
            "*2\r\n:1\r\n:2\r\n"
        );
    }
    // Saved again, they are written as v4.
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "v0", "VALUES"]),
        "*2\r\n:1\r\n:2\r\n"
    );
    let dump = c.cmd_bytes(&[b"DUMP", b"v1"]);
    assert!(dump.windows(10).any(|w| w == &REDISAI_V4_INT32[..10]));
}

#[test]
fn restores_redisai_v4_dumps_and_dumps_the_same_layout() {
    let server = RedisServer::with_module();
    let mut c = Raw::new(&server);
    assert_eq!(
        c.cmd_bytes(&[b"RESTORE", b"t", b"0", REDISAI_V4_INT32]),
        b"+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "t", "META", "VALUES"]),
        format!(
            "*6\r\n{}{}{}*2\r\n:2\r\n:1\r\n{}*2\r\n:1\r\n:2\r\n",
            bulk("dtype"),
            bulk("INT32"),
            bulk("shape"),
            bulk("values")
        )
    );
    let redisai_string = with_trailer(REDISAI_127_STRING_BODY);
    assert_eq!(
        c.cmd_bytes(&[b"RESTORE", b"s", b"0", &redisai_string]),
        b"+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "s", "VALUES"]),
        format!("*2\r\n{}{}", bulk("str_val1"), bulk("str_val2"))
    );
    assert_eq!(
        c.cmd(&words("AI.TENSORSET s2 STRING 2 VALUES str_val1 str_val2")),
        "+OK\r\n"
    );
    // Our DUMP of the same tensors is byte-identical to RedisAI's (same type id, encver and layout; the
    // trailer carries the RDB version and CRC of this Redis, so compare up to the data).
    let int32_body = &REDISAI_V4_INT32[..REDISAI_V4_INT32.len() - 11];
    for (key, body) in [
        ("t", int32_body),
        ("s", REDISAI_127_STRING_BODY),
        ("s2", REDISAI_127_STRING_BODY),
    ] {
        let dump = c.cmd_bytes(&[b"DUMP", key.as_bytes()]);
        let payload = &dump[dump.iter().position(|&b| b == b'\n').unwrap() + 1..];
        assert!(
            payload.starts_with(&[body, b"\x00"].concat()),
            "{key}: {:?}",
            String::from_utf8_lossy(&dump)
        );
        // And it restores.
        let payload = &payload[..payload.len() - 2];
        assert_eq!(
            c.cmd_bytes(&[b"RESTORE", key.as_bytes(), b"0", payload, b"REPLACE"]),
            b"+OK\r\n"
        );
    }
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "s2", "VALUES"]),
        format!("*2\r\n{}{}", bulk("str_val1"), bulk("str_val2"))
    );
    // Payloads with a valid checksum but impossible contents are refused by our loader; the server stays up.
    let header = &REDISAI_V4_INT32[..10];
    let int32 = |dims: &[u8], data: &[u8]| {
        [
            header,
            b"\x02\x00\x02 ",
            dims,
            &[0x05, data.len() as u8],
            data,
        ]
        .concat()
    };
    for body in [
        [header, b"\x02\x00\x02\x09\x02\x01\x02\x01\x05\x01x"].concat(), // 9-bit ints
        [header, b"\x02\x05\x02\x08\x02\x01\x02\x01\x05\x01x"].concat(), // unknown type code
        int32(b"\x02\x01\x02\x00", b"\0\0\0\0"),                         // dimension 0
        int32(b"\x02\x01\x02\x02", b"\0\0\0\0"),                         // data too short
        int32(b"\x02\x81\xff", b""),                                     // ndim out of range
        [header, b"\x02\x07\x02\x08\x02\x01\x02\x02\x05\x03a\0b"].concat(), // STRING without final NUL
        [header, b"\x02\x00\x02 \x02\x01\x02\x01"].concat(),                // short read
        [&REDISAI_127_STRING_BODY[..38], b"\x02\x00\x02\x08"].concat(), // offset not at an element
        REDISAI_127_STRING_BODY[..38].to_vec(),                         // offsets missing
    ] {
        let payload = with_trailer(&body);
        assert_eq!(
            c.cmd_bytes(&[b"RESTORE", b"bad", b"0", &payload]),
            b"-ERR Bad data format\r\n",
            "{body:?}"
        );
    }
    assert_eq!(
        with_trailer(&REDISAI_V4_INT32[..REDISAI_V4_INT32.len() - 11]),
        REDISAI_V4_INT32
    );
    assert_eq!(
        c.cmd_bytes(&[b"RESTORE", b"old", b"0", REDISAI_V4_STRING_NO_OFFSETS]),
        b"-ERR Bad data format\r\n"
    );
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
}

/// Appends the module-value EOF, RDB version 9 and Redis's CRC64 (Jones, reflected) like `DUMP` does.
fn with_trailer(body: &[u8]) -> Vec<u8> {
    let mut p = [body, b"\x00\x09\x00"].concat();
    let mut crc = 0u64;
    for &b in &p {
        crc ^= u64::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x95AC_9329_AC4B_C9B5
            } else {
                crc >> 1
            };
        }
    }
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

#[test]
fn key_commands() {
    let server = RedisServer::with_module();
    let mut c = Raw::new(&server);
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "a", "INT16", "2", "VALUES", "1", "2"]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["EXISTS", "a"]), ":1\r\n");
    assert_eq!(c.cmd(&["TYPE", "a"]), "+AI_TENSOR\r\n");
    assert_eq!(c.cmd(&["COPY", "a", "b"]), ":1\r\n");
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "a", "INT16", "2", "VALUES", "3", "4"]),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "b", "VALUES"]),
        "*2\r\n:1\r\n:2\r\n",
        "the copy is independent"
    );
    assert_eq!(c.cmd(&["RENAME", "b", "c"]), "+OK\r\n");
    assert_eq!(c.cmd(&["EXISTS", "b"]), ":0\r\n");
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "c", "VALUES"]),
        "*2\r\n:1\r\n:2\r\n"
    );
    assert!(c.cmd(&["MEMORY", "USAGE", "c"]).starts_with(':'));
    // Overwriting a tensor drops its TTL, as RedisAI's delete-and-set does.
    assert_eq!(c.cmd(&["EXPIRE", "c", "1000"]), ":1\r\n");
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "c", "INT16", "2", "VALUES", "1", "2"]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["TTL", "c"]), ":-1\r\n");
    // Overwriting a tensor (done in place) still signals the key: a WATCHing transaction aborts.
    let mut other = Raw::new(&server);
    assert_eq!(c.cmd(&["WATCH", "c"]), "+OK\r\n");
    assert_eq!(
        other.cmd(&["AI.TENSORSET", "c", "INT8", "VALUES", "5"]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.cmd(&["AI.TENSORGET", "c", "VALUES"]), "+QUEUED\r\n");
    assert_eq!(c.cmd(&["EXEC"]), "*-1\r\n");
    assert!(c
        .cmd(&["AI.TENSORGET", "c", "META", "VALUES"])
        .ends_with("*1\r\n:5\r\n"));
    assert_eq!(c.cmd(&["DEL", "c"]), ":1\r\n");
    assert_eq!(c.cmd(&["UNLINK", "a"]), ":1\r\n");
    assert_eq!(c.cmd(&["DBSIZE"]), ":0\r\n");
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "a"]),
        err("ERR tensor key is empty or in a different shard")
    );
    // Big held blobs are freed by UNLINK and FLUSHALL ASYNC too.
    let blob = vec![7u8; 8 << 20];
    assert_eq!(
        c.cmd_bytes(
            &[
                bwords("AI.TENSORSET big UINT8 8388608 BLOB"),
                vec![&blob[..]]
            ]
            .concat()
        ),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd(&["COPY", "big", "big2"]), ":1\r\n");
    assert_eq!(c.cmd(&["UNLINK", "big"]), ":1\r\n");
    assert_eq!(c.cmd(&["FLUSHALL", "ASYNC"]), "+OK\r\n");
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn aof_rewrite_and_reload() {
    let mut server = RedisServer::options().with_module().args(AOF).start();
    let _keep = server.keep_dir();
    let dir = server.dir.clone();
    let mut c = Raw::new(&server);
    let expected = populate(&mut c);
    let base = rewrite_aof(&mut c, &dir);
    let text = String::from_utf8_lossy(&base);
    assert_eq!(
        text.matches("AI.TENSORSET").count(),
        expected.len(),
        "one AI.TENSORSET per tensor in the rewritten AOF"
    );
    assert!(text.contains("$6\r\nSTRING\r\n$1\r\n3\r\n$4\r\nBLOB\r\n$7\r\na\0\0xyz\0\r\n"));
    server.shutdown(false);
    let server = RedisServer::options()
        .with_module()
        .args(AOF)
        .dir(&dir)
        .start();
    let mut c = Raw::new(&server);
    check(&mut c, &expected);
}

#[test]
fn replica_receives_tensors() {
    let master = RedisServer::with_module();
    let mut m = Raw::new(&master);
    let before = populate(&mut m);
    let replica = RedisServer::options()
        .with_module()
        .replica_of(&master)
        .start();
    let mut r = synced(&replica);
    // Full sync (RDB) carried the existing tensors.
    assert!(wait_for(BOUND, || r.cmd(&["DBSIZE"])
        == format!(":{}\r\n", before.len())));
    check(&mut r, &before);
    // Later writes are replicated verbatim.
    assert_eq!(
        m.cmd(&["AI.TENSORSET", "late", "INT32", "2", "VALUES", "-1", "1"]),
        "+OK\r\n"
    );
    assert_eq!(m.cmd(&["DEL", "f"]), ":1\r\n");
    assert!(wait_for(BOUND, || r.cmd(&[
        "AI.TENSORGET",
        "late",
        "VALUES"
    ]) == "*2\r\n:-1\r\n:1\r\n"));
    assert!(wait_for(BOUND, || r.cmd(&["EXISTS", "f"]) == ":0\r\n"));
    // A large BLOB through the replication stream.
    let blob = Rng(7).bytes(300_000);
    let set = [
        &b"AI.TENSORSET"[..],
        b"bigrepl",
        b"UINT16",
        b"150000",
        b"BLOB",
        &blob,
    ];
    assert_eq!(m.cmd_bytes(&set), b"+OK\r\n");
    let want = m.cmd_bytes(&[b"AI.TENSORGET", b"bigrepl", b"META", b"BLOB"]);
    assert!(wait_for(BOUND, || r
        .cmd_bytes(&bwords("AI.TENSORGET bigrepl META BLOB"))
        == want));
    // Failed writes are not replicated and a replica refuses writes.
    assert!(r
        .cmd(&["AI.TENSORSET", "x", "FLOAT", "1"])
        .starts_with("-READONLY"));
}
