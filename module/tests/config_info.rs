//! Load-time arguments, AI.CONFIG and the INFO MODULES sections.

mod common;

use common::{bulk, err, Raw, RedisServer};

fn info_modules(c: &mut Raw) -> Vec<String> {
    let raw = c.cmd(&["INFO", "MODULES"]);
    let body = raw.split_once("\r\n").map(|x| x.1).unwrap_or_default();
    body.lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn module_identity_and_info_sections() {
    let server = RedisServer::with_module();
    let mut c = Raw::new(&server);
    let list = c.cmd(&["MODULE", "LIST"]);
    assert!(list.contains("$3\r\nver\r\n:10207\r\n"), "{list}");
    assert!(list.contains(&bulk("ai")), "{list}");
    let lines = info_modules(&mut c);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("module:name=ai,ver=10207,")
                && l.contains("options=[handle-io-errors]")),
        "{lines:?}"
    );
    let sections: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with('#'))
        .map(String::as_str)
        .collect();
    assert_eq!(
        sections,
        [
            "# Modules",
            "# ai_versions",
            "# ai_git",
            "# ai_load_time_configs",
            "# ai_backends_info",
            "# ai_cpu"
        ]
    );
    let keys: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("ai_"))
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "ai_RedisAI_version",
            "ai_smartredis_version",
            "ai_low_level_API_version",
            "ai_rdb_version",
            "ai_git_sha",
            "ai_threads_per_queue",
            "ai_inter_op_parallelism",
            "ai_intra_op_parallelism",
            "ai_model_execution_timeout",
            "ai_backend_memory_limit",
            "ai_self_used_cpu_sys",
            "ai_self_used_cpu_user",
            "ai_children_used_cpu_sys",
            "ai_children_used_cpu_user",
            "ai_main_thread_used_cpu_sys",
            "ai_main_thread_used_cpu_user",
            "ai_queue_CPU_bthread_n1_used_cpu_total",
        ]
    );
    for want in [
        "ai_RedisAI_version:1.2.7",
        // The workspace's one version number (Cargo.toml), next to the RedisAI version it answers as.
        concat!("ai_smartredis_version:", env!("CARGO_PKG_VERSION")),
        "ai_low_level_API_version:1",
        "ai_rdb_version:4",
        "ai_threads_per_queue:1",
        "ai_inter_op_parallelism:0",
        "ai_intra_op_parallelism:0",
        "ai_model_execution_timeout:5000",
        "ai_backend_memory_limit:0",
    ] {
        assert!(lines.iter().any(|l| l == want), "{want} in {lines:?}");
    }
    let cpu = lines
        .iter()
        .find(|l| l.starts_with("ai_self_used_cpu_user:"))
        .unwrap();
    let v = cpu.split(':').nth(1).unwrap();
    assert!(
        v.split_once('.').is_some_and(|(_, frac)| frac.len() == 6),
        "{cpu}"
    );
}

#[test]
fn load_time_arguments_are_applied() {
    let server = RedisServer::options()
        .with_module()
        .module_args([
            "threads_per_queue",
            "4",
            "INTRA_OP_PARALLELISM",
            "2",
            "INTER_OP_PARALLELISM",
            "3",
            "MODEL_CHUNK_SIZE",
            "1024",
            "MODEL_EXECUTION_TIMEOUT",
            "1000",
            "BACKEND_MEMORY_LIMIT",
            "64",
            "ONNX",
            "onnx/lib.so",
            "BACKENDSPATH",
            "/opt/b",
        ])
        .start();
    let mut c = Raw::new(&server);
    let lines = info_modules(&mut c);
    for want in [
        "ai_threads_per_queue:4",
        "ai_intra_op_parallelism:2",
        "ai_inter_op_parallelism:3",
        "ai_model_execution_timeout:1000",
        "ai_backend_memory_limit:64",
    ] {
        assert!(lines.iter().any(|l| l == want), "{want} in {lines:?}");
    }
    assert_eq!(c.cmd(&["AI.CONFIG", "GET", "BACKENDSPATH"]), bulk("/opt/b"));
    assert_eq!(
        c.cmd(&["AI.CONFIG", "GET", "MODEL_CHUNK_SIZE"]),
        ":1024\r\n"
    );
}

#[test]
fn bad_load_time_arguments_fail_the_load() {
    for args in [
        vec!["THREADS_PER_QUEUE"],
        vec!["NO_SUCH_OPTION", "1"],
        vec!["THREADS_PER_QUEUE", "0"],
        vec!["THREADS_PER_QUEUE", "x"],
        vec!["INTRA_OP_PARALLELISM", "0"],
        vec!["INTER_OP_PARALLELISM", "0"],
        vec!["MODEL_CHUNK_SIZE", "-1"],
        vec!["MODEL_EXECUTION_TIMEOUT", "999"],
        vec!["BACKEND_MEMORY_LIMIT", "0"],
    ] {
        let e = match RedisServer::options()
            .with_module()
            .module_args(args.clone())
            .try_start()
        {
            Ok(_) => panic!("{args:?} was accepted"),
            Err(e) => e,
        };
        if args.len() == 2 {
            let want = format!("ERR error processing argument: {} {}", args[0], args[1]);
            assert!(e.contains(&want), "{args:?}: {e}");
        }
    }
}

#[test]
fn ai_config_forms_and_errors() {
    let server = RedisServer::with_module();
    for resp3 in [false, true] {
        let mut c = if resp3 {
            Raw::resp3(&server)
        } else {
            Raw::new(&server)
        };
        let e =
            |c: &mut Raw, args: &[&str], want: &str| assert_eq!(c.cmd(args), err(want), "{args:?}");
        e(
            &mut c,
            &["AI.CONFIG"],
            "ERR wrong number of arguments for 'ai.config' command",
        );
        e(
            &mut c,
            &["AI.CONFIG", "LOADBACKEND", "TF"],
            "ERR wrong number of arguments for 'ai.config' command",
        );
        e(
            &mut c,
            &["AI.CONFIG", "LOADBACKEND", "CAFFE", "x.so"],
            "ERR unsupported backend",
        );
        // RedisAI's text, then why (here: no such file).
        let r = c.cmd(&["AI.CONFIG", "loadbackend", "onnx", "x.so"]);
        assert!(
            r.starts_with("-ERR error loading backend: ") && r.contains("x.so not found"),
            "{r}"
        );
        e(
            &mut c,
            &["AI.CONFIG", "BACKENDSPATH"],
            "ERR BACKENDSPATH: missing path argument",
        );
        e(
            &mut c,
            &["AI.CONFIG", "MODEL_CHUNK_SIZE"],
            "ERR MODEL_CHUNK_SIZE: missing chunk size",
        );
        e(
            &mut c,
            &["AI.CONFIG", "MODEL_CHUNK_SIZE", "0"],
            "ERR MODEL_CHUNK_SIZE: invalid chunk size",
        );
        e(
            &mut c,
            &["AI.CONFIG", "MODEL_CHUNK_SIZE", "abc"],
            "ERR MODEL_CHUNK_SIZE: invalid chunk size",
        );
        e(
            &mut c,
            &["AI.CONFIG", "GET"],
            "ERR wrong number of arguments for 'ai.config' command",
        );
        e(&mut c, &["AI.CONFIG", "NOPE"], "ERR unsupported subcommand");
        // A path that is not UTF-8 is refused, not altered (and the setting is unchanged, checked below).
        for args in [
            &[&b"AI.CONFIG"[..], b"BACKENDSPATH", b"/opt/\xff\xfe"][..],
            &[b"AI.CONFIG", b"LOADBACKEND", b"ONNX", b"/opt/\xff.so"],
        ] {
            assert_eq!(
                c.cmd_bytes(args),
                err("ERR AI.CONFIG: argument is not valid UTF-8").into_bytes()
            );
        }
        let default_path = testkit::module_path().parent().unwrap().join("backends");
        assert_eq!(
            c.cmd(&["AI.CONFIG", "GET", "BACKENDSPATH"]),
            bulk(default_path.to_str().unwrap())
        );
        assert_eq!(
            c.cmd(&["AI.CONFIG", "GET", "MODEL_CHUNK_SIZE"]),
            ":535822336\r\n"
        );
        assert_eq!(c.cmd(&["AI.CONFIG", "BACKENDSPATH", "/x/y"]), "+OK\r\n");
        assert_eq!(c.cmd(&["ai.config", "get", "backendspath"]), bulk("/x/y"));
        assert_eq!(
            c.cmd(&["AI.CONFIG", "model_chunk_size", "1048576"]),
            "+OK\r\n"
        );
        assert_eq!(
            c.cmd(&["AI.CONFIG", "GET", "MODEL_CHUNK_SIZE"]),
            ":1048576\r\n"
        );
        assert_eq!(
            c.cmd(&["AI.CONFIG", "GET", "NOPE"]),
            if resp3 { "_\r\n" } else { "$-1\r\n" }
        );
        // Restore the defaults for the next protocol round.
        assert_eq!(
            c.cmd(&["AI.CONFIG", "MODEL_CHUNK_SIZE", "535822336"]),
            "+OK\r\n"
        );
        assert_eq!(
            c.cmd(&["AI.CONFIG", "BACKENDSPATH", default_path.to_str().unwrap()]),
            "+OK\r\n"
        );
    }
}
