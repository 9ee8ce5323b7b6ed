//! AI.TENSORSET / AI.TENSORGET: every form, reply layout and error string, byte for byte, in RESP2 and RESP3.

mod common;

use common::{bulk, err, words, Raw, RedisServer};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn ok() -> String {
    "+OK\r\n".to_string()
}

/// `["dtype", T, "shape", [dims...]]` followed by `extra` pre-encoded elements.
fn meta(dtype: &str, dims: &[i64], extra: &[String]) -> String {
    let mut s = format!(
        "*{}\r\n{}{}{}*{}\r\n",
        4 + extra.len(),
        bulk("dtype"),
        bulk(dtype),
        bulk("shape"),
        dims.len()
    );
    for d in dims {
        s += &format!(":{d}\r\n");
    }
    s + &extra.concat()
}

fn ints(v: &[i64]) -> String {
    let mut s = format!("*{}\r\n", v.len());
    for x in v {
        s += &format!(":{x}\r\n");
    }
    s
}

/// Float values: RESP2 sends `%.17g` bulk strings, RESP3 doubles.
fn doubles(v: &[&str], resp3: bool) -> String {
    let mut s = format!("*{}\r\n", v.len());
    for x in v {
        s += &if resp3 { format!(",{x}\r\n") } else { bulk(x) };
    }
    s
}

fn both_protocols(server: &RedisServer) -> [(Raw, bool); 2] {
    [(Raw::new(server), false), (Raw::resp3(server), true)]
}

#[test]
fn values_round_trip_for_every_type() {
    let server = RedisServer::with_module();
    for (mut c, resp3) in both_protocols(&server) {
        let set = |c: &mut Raw, args: &[&str]| {
            let mut a = vec!["AI.TENSORSET", "t"];
            a.extend_from_slice(args);
            assert_eq!(c.cmd(&a), ok(), "{args:?}");
        };
        set(&mut c, &["FLOAT", "2", "VALUES", "1", "0.1"]);
        assert_eq!(
            c.cmd(&["AI.TENSORGET", "t", "VALUES"]),
            doubles(&["1", "0.10000000149011612"], resp3)
        );
        set(&mut c, &["DOUBLE", "3", "VALUES", "1.5", "-2", "1e300"]);
        assert_eq!(
            c.cmd(&["AI.TENSORGET", "t", "VALUES"]),
            doubles(&["1.5", "-2", "1.0000000000000001e+300"], resp3)
        );
        for (ty, vals) in [
            ("INT8", vec![-128, 127, 0]),
            ("INT16", vec![-32768, 32767, 5]),
            ("INT32", vec![i32::MIN as i64, i32::MAX as i64, -1]),
            ("INT64", vec![i64::MIN, i64::MAX, -1]),
            ("UINT8", vec![0, 255, 7]),
            ("UINT16", vec![0, 65535, 7]),
            ("BOOL", vec![1, 0, 1]),
        ] {
            let strs: Vec<String> = vals.iter().map(|v| v.to_string()).collect();
            let mut a: Vec<&str> = vec![ty, "3", "VALUES"];
            a.extend(strs.iter().map(|s| s.as_str()));
            set(&mut c, &a);
            assert_eq!(c.cmd(&["AI.TENSORGET", "t", "VALUES"]), ints(&vals), "{ty}");
            assert_eq!(
                c.cmd(&["AI.TENSORGET", "t", "META"]),
                meta(ty, &[3], &[]),
                "{ty}"
            );
        }
        set(&mut c, &["STRING", "2", "VALUES", "first", "second\0"]);
        assert_eq!(
            c.cmd(&["AI.TENSORGET", "t", "VALUES"]),
            format!("*2\r\n{}{}", bulk("first"), bulk("second"))
        );
        assert_eq!(
            c.cmd(&["AI.TENSORGET", "t", "BLOB"]),
            bulk("first\0second\0")
        );
    }
}

#[test]
fn every_get_format_and_layout() {
    let server = RedisServer::with_module();
    for (mut c, resp3) in both_protocols(&server) {
        // [[1,2],[3,4]] as little-endian float32.
        let bytes: Vec<u8> = [1f32, 2., 3., 4.]
            .iter()
            .flat_map(|f| f.to_le_bytes())
            .collect();
        let r = c.cmd_bytes(&[b"AI.TENSORSET", b"m", b"FLOAT", b"2", b"2", b"BLOB", &bytes]);
        assert_eq!(r, b"+OK\r\n");
        let blob_reply = [
            format!("${}\r\n", bytes.len()).into_bytes(),
            bytes.clone(),
            b"\r\n".to_vec(),
        ]
        .concat();
        assert_eq!(c.cmd_bytes(&[b"AI.TENSORGET", b"m", b"BLOB"]), blob_reply);
        let with_meta = |extra: &[u8]| {
            [
                meta("FLOAT", &[2, 2], &[])
                    .replacen("*4\r\n", "*6\r\n", 1)
                    .into_bytes(),
                extra.to_vec(),
            ]
            .concat()
        };
        let meta_blob = with_meta(&[bulk("blob").into_bytes(), blob_reply.clone()].concat());
        assert_eq!(
            c.cmd_bytes(&[b"AI.TENSORGET", b"m"]),
            meta_blob,
            "no token = META BLOB"
        );
        assert_eq!(
            c.cmd_bytes(&[b"AI.TENSORGET", b"m", b"META", b"BLOB"]),
            meta_blob
        );
        assert_eq!(
            c.cmd_bytes(&[b"AI.TENSORGET", b"m", b"blob", b"meta"]),
            meta_blob
        );
        assert_eq!(
            c.cmd(&["AI.TENSORGET", "m", "META"]),
            meta("FLOAT", &[2, 2], &[])
        );
        assert_eq!(
            c.cmd(&["AI.TENSORGET", "m", "meta", "META"]),
            meta("FLOAT", &[2, 2], &[])
        );
        let vals = doubles(&["1", "2", "3", "4"], resp3);
        assert_eq!(c.cmd(&["AI.TENSORGET", "m", "VALUES"]), vals);
        assert_eq!(c.cmd(&["AI.TENSORGET", "m", "VALUES", "VALUES"]), vals);
        let meta_values = meta("FLOAT", &[2, 2], &[bulk("values"), vals.clone()]);
        assert_eq!(c.cmd(&["AI.TENSORGET", "m", "META", "VALUES"]), meta_values);
        assert_eq!(c.cmd(&["AI.TENSORGET", "m", "values", "meta"]), meta_values);
    }
}

#[test]
fn scalars_zero_fill_and_case_insensitivity() {
    let server = RedisServer::with_module();
    let mut c = Raw::new(&server);
    assert_eq!(c.cmd(&["ai.tensorset", "s", "float", "values", "3"]), ok());
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "s", "META", "VALUES"]),
        meta("FLOAT", &[], &[bulk("values"), doubles(&["3"], false)])
    );
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "s", "INT32", "BLOB", "\x07\0\0\0"]),
        ok()
    );
    assert_eq!(c.cmd(&["AI.TENSORGET", "s", "VALUES"]), ints(&[7]));
    assert_eq!(c.cmd(&["AI.TENSORSET", "z", "DOUBLE", "2", "2"]), ok());
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "z", "BLOB"]),
        bulk(&"\0".repeat(32))
    );
    assert_eq!(c.cmd(&["AI.TENSORSET", "zs", "STRING", "2"]), ok());
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "zs", "VALUES"]),
        format!("*2\r\n{}{}", bulk(""), bulk(""))
    );
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "zs", "STRING", "3", "BLOB", "a\0\0bc\0"]),
        ok()
    );
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "zs", "VALUES"]),
        format!("*3\r\n{}{}{}", bulk("a"), bulk(""), bulk("bc"))
    );
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "b", "Bool", "2", "BLOB", "\x01\x00"]),
        ok()
    );
    assert_eq!(c.cmd(&["AI.TENSORGET", "b", "VALUES"]), ints(&[1, 0]));
    // Overwriting a tensor with another type and shape.
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "b", "uint16", "1", "1", "VALUES", "65535"]),
        ok()
    );
    assert_eq!(
        c.cmd(&["AI.TENSORGET", "b", "META"]),
        meta("UINT16", &[1, 1], &[])
    );
}

#[test]
fn fixed_redisai_bugs() {
    let server = RedisServer::with_module();
    let mut c = Raw::new(&server);
    // RedisAI rejects every negative VALUES item of a signed type; we accept them within range.
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "i", "INT8", "2", "VALUES", "-1", "-128"]),
        ok()
    );
    assert_eq!(c.cmd(&["AI.TENSORGET", "i", "VALUES"]), ints(&[-1, -128]));
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "i", "INT8", "VALUES", "-129"]),
        err("ERR invalid value")
    );
    // RedisAI never checks the last byte of a BOOL blob; we do.
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "b", "BOOL", "2", "BLOB", "\x01\x02"]),
        err("ERR BOOL tensor elements must be 0 or 1")
    );
    assert_eq!(
        c.cmd(&["AI.TENSORSET", "b", "BOOL", "2", "BLOB", "\x02\x01"]),
        err("ERR BOOL tensor elements must be 0 or 1")
    );
}

#[test]
fn tensorset_errors_in_order() {
    let server = RedisServer::with_module();
    for (mut c, _) in both_protocols(&server) {
        let e =
            |c: &mut Raw, args: &[&str], want: &str| assert_eq!(c.cmd(args), err(want), "{args:?}");
        e(
            &mut c,
            &["AI.TENSORSET", "k", "FLOAT"],
            "ERR wrong number of arguments for 'ai.tensorset' command",
        );
        e(
            &mut c,
            &["AI.TENSORSET"],
            "ERR wrong number of arguments for 'ai.tensorset' command",
        );
        assert_eq!(c.cmd(&["SET", "str", "x"]), ok());
        // WRONGTYPE comes before any parsing.
        e(&mut c, &["AI.TENSORSET", "str", "NOTATYPE", "x"], WRONGTYPE);
        e(
            &mut c,
            &["AI.TENSORSET", "k", "FLOAT32", "1"],
            "ERR invalid data type",
        );
        e(
            &mut c,
            &["AI.TENSORSET", "k", "INT", "1"],
            "ERR invalid data type",
        );
        e(
            &mut c,
            &["AI.TENSORSET", "k", "UINT32", "1"],
            "ERR invalid data type",
        );
        e(
            &mut c,
            &["AI.TENSORSET", "k", "NOTATYPE", "x"],
            "ERR invalid data type",
        );
        let blob = "ERR a single binary string should come after the BLOB argument in 'AI.TENSORSET' command";
        e(&mut c, &["AI.TENSORSET", "k", "FLOAT", "2", "BLOB"], blob);
        e(
            &mut c,
            &["AI.TENSORSET", "k", "FLOAT", "2", "BLOB", "a", "b"],
            blob,
        );
        let values = "ERR wrong number of values was given in 'AI.TENSORSET' command";
        e(
            &mut c,
            &["AI.TENSORSET", "k", "FLOAT", "2", "VALUES", "1"],
            values,
        );
        e(
            &mut c,
            &["AI.TENSORSET", "k", "FLOAT", "2", "VALUES", "1", "2", "3"],
            values,
        );
        e(&mut c, &["AI.TENSORSET", "k", "FLOAT", "VALUES"], values);
        let shape = "ERR invalid or negative value found in tensor shape";
        for bad in ["0", "-1", "abc", "1.5", "", "01"] {
            e(
                &mut c,
                &["AI.TENSORSET", "k", "FLOAT", "2", bad, "VALUES", "1", "2"],
                shape,
            );
        }
        // A bad dimension after a bad VALUES count: VALUES ends the shape scan first.
        e(
            &mut c,
            &["AI.TENSORSET", "k", "FLOAT", "2", "VALUES", "x"],
            values,
        );
        let invalid = "ERR invalid value";
        e(
            &mut c,
            &["AI.TENSORSET", "k", "INT32", "2", "VALUES", "1", "1.87"],
            invalid,
        );
        e(
            &mut c,
            &["AI.TENSORSET", "k", "FLOAT", "1", "VALUES", "abc"],
            invalid,
        );
        e(
            &mut c,
            &["AI.TENSORSET", "k", "FLOAT", "1", "VALUES", "nan"],
            invalid,
        );
        e(
            &mut c,
            &["AI.TENSORSET", "k", "UINT8", "1", "VALUES", "256"],
            invalid,
        );
        e(
            &mut c,
            &["AI.TENSORSET", "k", "UINT8", "1", "VALUES", "-1"],
            invalid,
        );
        e(
            &mut c,
            &["AI.TENSORSET", "k", "INT16", "1", "VALUES", "32768"],
            invalid,
        );
        e(
            &mut c,
            &words("AI.TENSORSET k INT64 1 VALUES 9223372036854775808"),
            invalid,
        );
        e(
            &mut c,
            &["AI.TENSORSET", "k", "BOOL", "1", "VALUES", "2"],
            invalid,
        );
        let len = "ERR data length does not match tensor shape and type";
        e(
            &mut c,
            &["AI.TENSORSET", "k", "FLOAT", "2", "BLOB", "1234567"],
            len,
        );
        e(
            &mut c,
            &["AI.TENSORSET", "k", "INT16", "2", "BLOB", "12345"],
            len,
        );
        e(
            &mut c,
            &["AI.TENSORSET", "k", "BOOL", "2", "BLOB", "\x01"],
            len,
        );
        let strings = "ERR Number of string elements in data blob does not match tensor length";
        e(
            &mut c,
            &["AI.TENSORSET", "k", "STRING", "2", "BLOB", "a\0b"],
            strings,
        );
        e(
            &mut c,
            &["AI.TENSORSET", "k", "STRING", "2", "BLOB", "a\0"],
            strings,
        );
        e(
            &mut c,
            &["AI.TENSORSET", "k", "STRING", "1", "BLOB", ""],
            strings,
        );
        e(
            &mut c,
            &["AI.TENSORSET", "k", "STRING", "1", "VALUES", "a\0b"],
            "ERR C-string value contains null character",
        );
        e(
            &mut c,
            &words("AI.TENSORSET k FLOAT 1099511627776 1099511627776"),
            "ERR tensor is too large",
        );
        // Nothing was stored by any failed command.
        assert_eq!(c.cmd(&["EXISTS", "k"]), ":0\r\n");
    }
}

#[test]
fn tensorget_errors_in_order() {
    let server = RedisServer::with_module();
    for (mut c, _) in both_protocols(&server) {
        let e =
            |c: &mut Raw, args: &[&str], want: &str| assert_eq!(c.cmd(args), err(want), "{args:?}");
        let arity = "ERR wrong number of arguments for 'ai.tensorget' command";
        e(&mut c, &["AI.TENSORGET"], arity);
        e(
            &mut c,
            &["AI.TENSORGET", "t", "META", "BLOB", "META"],
            arity,
        );
        let empty = "ERR tensor key is empty or in a different shard";
        e(&mut c, &["AI.TENSORGET", "missing"], empty);
        e(&mut c, &["AI.TENSORGET", "missing", "BOGUS"], empty);
        assert_eq!(c.cmd(&["SET", "str", "x"]), ok());
        e(&mut c, &["AI.TENSORGET", "str"], WRONGTYPE);
        e(&mut c, &["AI.TENSORGET", "str", "BOGUS"], WRONGTYPE);
        assert_eq!(c.cmd(&["AI.TENSORSET", "t", "FLOAT", "1"]), ok());
        e(
            &mut c,
            &["AI.TENSORGET", "t", "BOGUS"],
            "ERR unsupported data format",
        );
        e(
            &mut c,
            &["AI.TENSORGET", "t", "META", "BOGUS"],
            "ERR unsupported data format",
        );
        e(
            &mut c,
            &["AI.TENSORGET", "t", "BLOB", "VALUES"],
            "ERR both BLOB and VALUES specified",
        );
        e(
            &mut c,
            &["AI.TENSORGET", "t", "values", "blob"],
            "ERR both BLOB and VALUES specified",
        );
    }
}

#[test]
fn reply_types_through_the_redis_crate() {
    let server = RedisServer::with_module();
    let mut con = server.connection();
    let v: redis::Value = redis::cmd("AI.TENSORSET")
        .arg("t")
        .arg("INT8")
        .arg(2)
        .arg("VALUES")
        .arg(-1)
        .arg(2)
        .query(&mut con)
        .unwrap();
    assert_eq!(v, redis::Value::Okay);
    let v: redis::Value = redis::cmd("AI.TENSORGET")
        .arg("t")
        .arg("META")
        .query(&mut con)
        .unwrap();
    use redis::Value::{Array, BulkString, Int};
    assert_eq!(
        v,
        Array(vec![
            BulkString(b"dtype".to_vec()),
            BulkString(b"INT8".to_vec()),
            BulkString(b"shape".to_vec()),
            Array(vec![Int(2)])
        ])
    );
    let mut con3 = server.connection_resp3();
    let v: redis::Value = redis::cmd("AI.TENSORSET")
        .arg("f")
        .arg("FLOAT")
        .arg("VALUES")
        .arg(0.5)
        .query(&mut con3)
        .unwrap();
    assert_eq!(v, redis::Value::Okay);
    let v: redis::Value = redis::cmd("AI.TENSORGET")
        .arg("f")
        .arg("VALUES")
        .query(&mut con3)
        .unwrap();
    assert_eq!(v, Array(vec![redis::Value::Double(0.5)]));
}
