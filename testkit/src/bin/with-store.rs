//! `with-store {standalone|unix|cluster} -- <cmd> [args...]`: starts a store with the module (one server on
//! TCP, one on a Unix socket, or a 3-node cluster), runs the command with `SSDB` and `SR_DB_TYPE` set for it,
//! stops the store and exits with the command's status.
//!
//! A stand-in until the orchestrator's launcher replaces it.

use std::process::{Command, ExitCode};

use testkit::{RedisCluster, RedisServer};

fn usage() -> ExitCode {
    eprintln!("usage: with-store {{standalone|unix|cluster}} -- <cmd> [args...]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(sep) = args.iter().position(|a| a == "--") else {
        return usage();
    };
    if sep != 1 || args.len() < 3 {
        return usage();
    }
    let mode = args[0].as_str();
    let (cmd, cmd_args) = (&args[2], &args[3..]);

    // Held until the child exits; dropping them kills the servers.
    let mut _server = None;
    let mut _cluster = None;
    let (ssdb, db_type) = match mode {
        "standalone" => {
            let s = RedisServer::with_module();
            let a = s.addr();
            _server = Some(s);
            (a, "Standalone")
        }
        "unix" => {
            let s = RedisServer::options().with_module().unix_socket().start();
            let a = format!("unix://{}", s.socket.as_ref().expect("socket").display());
            _server = Some(s);
            (a, "Standalone")
        }
        "cluster" => {
            let c = RedisCluster::with_module(3);
            let a = c.ssdb();
            _cluster = Some(c);
            (a, "Clustered")
        }
        _ => return usage(),
    };
    let status = Command::new(cmd)
        .args(cmd_args)
        .env("SSDB", &ssdb)
        .env("SR_DB_TYPE", db_type)
        .status();
    match status {
        Ok(s) => match s.code() {
            Some(c) => ExitCode::from(c.clamp(0, 255) as u8),
            None => {
                eprintln!("with-store: {cmd} was killed by a signal ({s})");
                ExitCode::from(128)
            }
        },
        Err(e) => {
            eprintln!("with-store: cannot run {cmd}: {e}");
            ExitCode::from(127)
        }
    }
}
