//! The orchestrator's C API (new, `sr_`-prefixed): options, start, address, type, status, stop.
//!
//! Ownership: every `*_new` hands the caller a handle that the caller owns and must release with the matching
//! `*_free`, which takes the address of the caller's variable and sets it to NULL, like every `sr_*_free` (a NULL
//! handle is ignored). `sr_orchestrator_new` copies the options, so the options handle may be freed or reused right
//! after. Strings returned through `const char**` are owned by the handle and stay valid until the next call on
//! that handle or its `*_free`. All functions return `SRError`; on failure the message is available from
//! `SRGetLastError()` on the same thread, and out-parameters are left untouched.
//!
//! Freeing an orchestrator that this handle started stops it (nothing is left running by accident), unless
//! `sr_orchestrator_detach` was called; one obtained with `sr_orchestrator_attach` is never stopped by free.

use std::ffi::{c_char, c_void, CString};
use std::time::Duration;

use super::{
    free_handle_at, guard, handle_mut, handle_ref, new_handle, out_arg, slice_arg, str_arg,
    HandleKind,
};
use crate::error::{Result, SRError};
use crate::orchestrator::{
    Access, Auth, DbType, LauncherKind, Orchestrator, OrchestratorOptions, ShardState, Tls,
    TlsFiles,
};

/// Standalone or clustered, as written by [`sr_orchestrator_db_type`].
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SRDbType {
    /// One shard.
    SRDbStandalone = 0,
    /// A Redis Cluster.
    SRDbClustered = 1,
}

/// State of one shard, as written by [`sr_orchestrator_status`].
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SRShardState {
    /// Runs and answers (cluster: `cluster_state:ok`).
    SRShardRunning = 0,
    /// Runs but does not answer, or its cluster is not ok.
    SRShardUnresponsive = 1,
    /// The process is gone.
    SRShardExited = 2,
}

/// Whether a store requires a password, for [`sr_orchestrator_options_set_auth`].
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SRAuthMode {
    /// On (a generated secret) when the shards bind a non-loopback address, off on loopback (the default).
    SRAuthAuto = 0,
    /// On: the given password, or a generated one.
    SRAuthOn = 1,
    /// Off (refused on a non-loopback bind unless `--protected-mode no` is among the server arguments).
    SRAuthOff = 2,
}

/// An `SRAuthMode` as C passes it: a plain `int`, checked; shown as `SRAuthMode` in the header.
pub type CAuthMode = std::ffi::c_int;

struct OptionsHandle(OrchestratorOptions);

impl HandleKind for OptionsHandle {
    const MAGIC: u64 = 0x5352_4F52_434F_5054; // "SRORCOPT"
    const KIND: &'static str = "orchestrator options";
}

struct OrchestratorHandle {
    orc: Orchestrator,
    address: CString,
}

impl HandleKind for OrchestratorHandle {
    const MAGIC: u64 = 0x5352_4F52_4348_5354; // "SRORCHST"
    const KIND: &'static str = "orchestrator";
}

fn options<'a>(ptr: *mut c_void) -> Result<&'a mut OrchestratorOptions> {
    handle_mut::<OptionsHandle>(ptr, "options").map(|h| &mut h.0)
}

fn orchestrator<'a>(ptr: *mut c_void) -> Result<&'a mut OrchestratorHandle> {
    handle_mut::<OrchestratorHandle>(ptr, "orchestrator")
}

/// Applies a builder method to the options behind `ptr`.
fn update(
    ptr: *mut c_void,
    f: impl FnOnce(OrchestratorOptions) -> OrchestratorOptions,
) -> Result<()> {
    let opts = options(ptr)?;
    *opts = f(std::mem::take(opts));
    Ok(())
}

/// Creates orchestrator options with the defaults (1 shard on a free loopback port, module loaded, no persistence,
/// working directory = current directory). The caller owns `*options` and frees it with
/// [`sr_orchestrator_options_free`].
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_new(options: *mut *mut c_void) -> SRError {
    guard("sr_orchestrator_options_new", || {
        let out = out_arg(options, "options")?;
        *out = new_handle(OptionsHandle(OrchestratorOptions::new()));
        Ok(())
    })
}

/// Frees options made by [`sr_orchestrator_options_new`] and sets `*options` to NULL (a NULL `*options` is a
/// no-op, so freeing twice through the same variable is safe). `options` itself must not be NULL.
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_free(options: *mut *mut c_void) -> SRError {
    guard("sr_orchestrator_options_free", || {
        free_handle_at::<OptionsHandle>(options, "options")
    })
}

/// Number of shards: 1 = standalone, ≥ 2 = Redis Cluster.
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_shards(
    options: *mut c_void,
    shards: usize,
) -> SRError {
    guard("sr_orchestrator_options_set_shards", || {
        update(options, |o| o.shards(shards))
    })
}

/// Working directory (logs, state file, RDB/AOF); `dir` is `dir_len` bytes of UTF-8, copied.
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_dir(
    options: *mut c_void,
    dir: *const c_char,
    dir_len: usize,
) -> SRError {
    guard("sr_orchestrator_options_set_dir", || {
        let dir = str_arg(dir, dir_len, "dir")?;
        update(options, |o| o.dir(dir))
    })
}

/// Base port: shard i listens on `port + i` (0 = free ports, the default).
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_port(options: *mut c_void, port: u16) -> SRError {
    guard("sr_orchestrator_options_set_port", || {
        update(options, |mut o| {
            if port == 0 {
                o.port = None;
                o
            } else {
                o.port(port)
            }
        })
    })
}

/// Bind this IPv4 address (default `127.0.0.1`).
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_bind_address(
    options: *mut c_void,
    address: *const c_char,
    address_len: usize,
) -> SRError {
    guard("sr_orchestrator_options_set_bind_address", || {
        let a = str_arg(address, address_len, "address")?;
        update(options, |o| o.bind_address(a))
    })
}

/// Bind the IPv4 address of this network interface (`lo`, `eth0`, `ib0`, ...).
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_interface(
    options: *mut c_void,
    name: *const c_char,
    name_len: usize,
) -> SRError {
    guard("sr_orchestrator_options_set_interface", || {
        let n = str_arg(name, name_len, "name")?;
        update(options, |o| o.interface(n))
    })
}

/// Also listen on this Unix socket with these permissions (e.g. `0700`); standalone only. A relative path is
/// taken in the working directory.
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_unix_socket(
    options: *mut c_void,
    path: *const c_char,
    path_len: usize,
    permissions: u32,
) -> SRError {
    guard("sr_orchestrator_options_set_unix_socket", || {
        let p = str_arg(path, path_len, "path")?;
        update(options, |o| o.unix_socket(p).unix_socket_perm(permissions))
    })
}

/// Whether the shards require a password (`requirepass` from a 0600 file in the working directory; the launcher
/// authenticates itself, and [`sr_orchestrator_create_client`] too). With `SRAuthOn`, `password`
/// (`password_len` bytes) is the secret, or a random one is generated when `password_len` is 0. Clients read it
/// from `SR_PASSWORD` or `SR_PASSWORD_FILE` ([`sr_orchestrator_password_file`]).
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_auth(
    options: *mut c_void,
    mode: CAuthMode,
    password: *const c_char,
    password_len: usize,
) -> SRError {
    guard("sr_orchestrator_options_set_auth", || {
        let auth = match mode {
            m if m == SRAuthMode::SRAuthAuto as CAuthMode => Auth::Auto,
            m if m == SRAuthMode::SRAuthOff as CAuthMode => Auth::Off,
            m if m == SRAuthMode::SRAuthOn as CAuthMode && password_len == 0 => Auth::Generate,
            m if m == SRAuthMode::SRAuthOn as CAuthMode => Auth::Password(
                crate::config::Secret::new(str_arg(password, password_len, "password")?),
            ),
            m => {
                return Err(crate::error::Error::Parameter(format!(
                    "mode {m} is not an SRAuthMode"
                )))
            }
        };
        update(options, |o| o.auth(auth))
    })
}

/// TLS on the shards' client ports when `enabled`: with the CA, certificate and key files given (absolute paths,
/// each `*_len` bytes), or, when all three lengths are 0, with a CA and certificate generated for the run in the
/// working directory (local launcher). Clients then need `SR_TLS_CA_FILE`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn sr_orchestrator_options_set_tls(
    options: *mut c_void,
    enabled: bool,
    ca_file: *const c_char,
    ca_file_len: usize,
    cert_file: *const c_char,
    cert_file_len: usize,
    key_file: *const c_char,
    key_file_len: usize,
) -> SRError {
    guard("sr_orchestrator_options_set_tls", || {
        let tls = match (enabled, ca_file_len, cert_file_len, key_file_len) {
            (false, ..) => Tls::Off,
            (true, 0, 0, 0) => Tls::Generate,
            (true, a, b, c) if a > 0 && b > 0 && c > 0 => Tls::Files(TlsFiles {
                ca: str_arg(ca_file, ca_file_len, "ca_file")?.into(),
                cert: str_arg(cert_file, cert_file_len, "cert_file")?.into(),
                key: str_arg(key_file, key_file_len, "key_file")?.into(),
            }),
            _ => {
                return Err(crate::error::Error::Parameter(
                    "give all three TLS files, or none to generate them".into(),
                ))
            }
        };
        update(options, |o| o.tls(tls))
    })
}

/// Allows Unix socket permissions wider than `0700` (other users of the node can then reach the store).
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_shared_socket(
    options: *mut c_void,
    shared: bool,
) -> SRError {
    guard("sr_orchestrator_options_set_shared_socket", || {
        update(options, |o| o.shared_socket(shared))
    })
}

/// Path of `redis-server` (default: `REDIS_PATH`, then `PATH`).
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_redis_server(
    options: *mut c_void,
    path: *const c_char,
    path_len: usize,
) -> SRError {
    guard("sr_orchestrator_options_set_redis_server", || {
        let p = str_arg(path, path_len, "path")?;
        update(options, |o| o.redis_server(p))
    })
}

/// Load the RedisAI-compatible module (default true).
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_module(
    options: *mut c_void,
    enabled: bool,
) -> SRError {
    guard("sr_orchestrator_options_set_module", || {
        update(options, |o| o.module(enabled))
    })
}

/// Path of the module library (implies loading it).
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_module_path(
    options: *mut c_void,
    path: *const c_char,
    path_len: usize,
) -> SRError {
    guard("sr_orchestrator_options_set_module_path", || {
        let p = str_arg(path, path_len, "path")?;
        update(options, |o| o.module_path(p))
    })
}

/// Module `THREADS_PER_QUEUE`, `INTER_OP_PARALLELISM` and `INTRA_OP_PARALLELISM` (0 leaves one unset).
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_module_threads(
    options: *mut c_void,
    threads_per_queue: u32,
    inter_op_threads: u32,
    intra_op_threads: u32,
) -> SRError {
    guard("sr_orchestrator_options_set_module_threads", || {
        update(options, |mut o| {
            let nz = |v: u32| (v > 0).then_some(v);
            o.module.threads_per_queue = nz(threads_per_queue);
            o.module.inter_op_threads = nz(inter_op_threads);
            o.module.intra_op_threads = nz(intra_op_threads);
            o
        })
    })
}

/// Let the live shards of a cluster keep serving their slots while a shard is down (`cluster-require-full-coverage
/// no`). Default false, as Redis: the whole cluster answers `CLUSTERDOWN` once any slot has no live owner.
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_partial_coverage(
    options: *mut c_void,
    enabled: bool,
) -> SRError {
    guard("sr_orchestrator_options_set_partial_coverage", || {
        update(options, |o| o.partial_coverage(enabled))
    })
}

/// Module `BACKENDSPATH`.
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_backends_path(
    options: *mut c_void,
    path: *const c_char,
    path_len: usize,
) -> SRError {
    guard("sr_orchestrator_options_set_backends_path", || {
        let p = str_arg(path, path_len, "path")?;
        update(options, |o| o.backends_path(p))
    })
}

/// `maxmemory` of each shard (`"1gb"`, ...).
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_maxmemory(
    options: *mut c_void,
    value: *const c_char,
    value_len: usize,
) -> SRError {
    guard("sr_orchestrator_options_set_maxmemory", || {
        let v = str_arg(value, value_len, "value")?;
        update(options, |o| o.maxmemory(v))
    })
}

/// `maxmemory-policy` (`noeviction`, `allkeys-lru`, ...).
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_eviction_policy(
    options: *mut c_void,
    policy: *const c_char,
    policy_len: usize,
) -> SRError {
    guard("sr_orchestrator_options_set_eviction_policy", || {
        let v = str_arg(policy, policy_len, "policy")?;
        update(options, |o| o.eviction_policy(v))
    })
}

/// `maxclients`.
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_maxclients(
    options: *mut c_void,
    maxclients: u32,
) -> SRError {
    guard("sr_orchestrator_options_set_maxclients", || {
        update(options, |o| o.maxclients(maxclients))
    })
}

/// `proto-max-bulk-len` (default `2560mb`).
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_proto_max_bulk_len(
    options: *mut c_void,
    value: *const c_char,
    value_len: usize,
) -> SRError {
    guard("sr_orchestrator_options_set_proto_max_bulk_len", || {
        let v = str_arg(value, value_len, "value")?;
        update(options, |o| o.proto_max_bulk_len(v))
    })
}

/// Persistence: RDB with this `save` spec when `rdb` is true (`""` = at stop only), and/or the append-only file.
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_persistence(
    options: *mut c_void,
    rdb: bool,
    save_spec: *const c_char,
    save_spec_len: usize,
    aof: bool,
) -> SRError {
    guard("sr_orchestrator_options_set_persistence", || {
        let spec = if rdb && save_spec_len > 0 {
            Some(str_arg(save_spec, save_spec_len, "save_spec")?.to_string())
        } else {
            rdb.then(String::new)
        };
        update(options, |mut o| {
            o.persistence.rdb = spec;
            o.aof(aof)
        })
    })
}

/// Appends one argument to every shard's `redis-server` command line.
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_add_server_arg(
    options: *mut c_void,
    arg: *const c_char,
    arg_len: usize,
) -> SRError {
    guard("sr_orchestrator_options_add_server_arg", || {
        let a = str_arg(arg, arg_len, "arg")?;
        update(options, |o| o.extra_args([a]))
    })
}

/// Bounds on start and stop, in milliseconds (0 keeps the default: 30 s and 10 s).
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_timeouts(
    options: *mut c_void,
    start_timeout_ms: u64,
    stop_timeout_ms: u64,
) -> SRError {
    guard("sr_orchestrator_options_set_timeouts", || {
        update(options, |mut o| {
            if start_timeout_ms > 0 {
                o = o.start_timeout(Duration::from_millis(start_timeout_ms));
            }
            if stop_timeout_ms > 0 {
                o = o.stop_timeout(Duration::from_millis(stop_timeout_ms));
            }
            o
        })
    })
}

/// Database identifier: the environment names become `SSDB_<id>` / `SR_DB_TYPE_<id>`.
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_db_identifier(
    options: *mut c_void,
    id: *const c_char,
    id_len: usize,
) -> SRError {
    guard("sr_orchestrator_options_set_db_identifier", || {
        let v = str_arg(id, id_len, "id")?;
        update(options, |o| o.db_identifier(v))
    })
}

/// The launcher: `local`, `slurm`, `pbs`, `lsf`, `cobalt` or `auto` (from `SLURM_JOB_ID`, `PBS_JOBID`, `LSB_JOBID`,
/// `COBALT_JOBID`, else local); `name` is `name_len` bytes. An unknown name is a parameter error.
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_launcher(
    options: *mut c_void,
    name: *const c_char,
    name_len: usize,
) -> SRError {
    guard("sr_orchestrator_options_set_launcher", || {
        let n = str_arg(name, name_len, "name")?;
        let kind = LauncherKind::parse(n)?;
        update(options, |o| o.launcher(kind))
    })
}

/// Scheduler launchers: `nodes` to spread the shards over (0 = one shard per node), `cpus_per_shard` (0 = the
/// scheduler's default), and for a separate store job its `walltime`, `account` and `queue` (each `*_len` bytes;
/// empty = not given); `batch` asks for a separate store job even inside an allocation.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn sr_orchestrator_options_set_scheduler(
    options: *mut c_void,
    nodes: usize,
    cpus_per_shard: u32,
    walltime: *const c_char,
    walltime_len: usize,
    account: *const c_char,
    account_len: usize,
    queue: *const c_char,
    queue_len: usize,
    batch: bool,
) -> SRError {
    guard("sr_orchestrator_options_set_scheduler", || {
        let opt = |p: *const c_char, l: usize, name: &str| -> Result<Option<String>> {
            if l == 0 {
                return Ok(None);
            }
            Ok(Some(str_arg(p, l, name)?.to_string()))
        };
        let walltime = opt(walltime, walltime_len, "walltime")?;
        let account = opt(account, account_len, "account")?;
        let queue = opt(queue, queue_len, "queue")?;
        update(options, |mut o| {
            o.nodes = (nodes > 0).then_some(nodes);
            o.cpus_per_shard = (cpus_per_shard > 0).then_some(cpus_per_shard);
            o.walltime = walltime;
            o.account = account;
            o.queue = queue;
            o.batch(batch)
        })
    })
}

/// Pins every shard to these CPUs (`cpus` holds `n_cpus` CPU numbers, copied). Each must exist on this machine
/// (checked here, so a bad index never reaches the started process).
#[no_mangle]
pub extern "C" fn sr_orchestrator_options_set_cpus(
    options: *mut c_void,
    cpus: *const usize,
    n_cpus: usize,
) -> SRError {
    guard("sr_orchestrator_options_set_cpus", || {
        let list = if n_cpus == 0 {
            &[][..]
        } else {
            slice_arg(cpus, n_cpus, "cpus")?
        };
        crate::orchestrator::check_cpus(list)?;
        update(options, |o| o.cpus(list.iter().copied()))
    })
}

/// Creates an orchestrator from a copy of `options` (checked here; nothing starts until
/// [`sr_orchestrator_start`]). The caller owns `*orchestrator` and frees it with [`sr_orchestrator_free`].
#[no_mangle]
pub extern "C" fn sr_orchestrator_new(
    options: *const c_void,
    orchestrator: *mut *mut c_void,
) -> SRError {
    guard("sr_orchestrator_new", || {
        let opts = handle_ref::<OptionsHandle>(options, "options")?.0.clone();
        let out = out_arg(orchestrator, "orchestrator")?;
        let orc = Orchestrator::new(opts)?;
        *out = new_handle(OrchestratorHandle {
            orc,
            address: CString::default(),
        });
        Ok(())
    })
}

/// Attaches to the orchestrator recorded in directory `dir` (started by any process). The caller owns
/// `*orchestrator`; freeing it does not stop the store (call [`sr_orchestrator_stop`] for that).
#[no_mangle]
pub extern "C" fn sr_orchestrator_attach(
    dir: *const c_char,
    dir_len: usize,
    orchestrator: *mut *mut c_void,
) -> SRError {
    guard("sr_orchestrator_attach", || {
        let dir = str_arg(dir, dir_len, "dir")?;
        let out = out_arg(orchestrator, "orchestrator")?;
        let orc = Orchestrator::attach(dir)?;
        *out = new_handle(OrchestratorHandle {
            orc,
            address: CString::default(),
        });
        Ok(())
    })
}

/// Starts the shards and returns once the store is usable (or the start timeout passes; then nothing is left
/// running and the error names the shard and quotes its log).
#[no_mangle]
pub extern "C" fn sr_orchestrator_start(orchestrator: *mut c_void) -> SRError {
    guard("sr_orchestrator_start", || {
        Ok(self::orchestrator(orchestrator)?.orc.start()?)
    })
}

/// The `SSDB` value (`host:port[,host:port...]`). `*address` (NUL-terminated, `*address_len` bytes without the
/// NUL) is owned by the handle and valid until the next call on it.
#[no_mangle]
pub extern "C" fn sr_orchestrator_address(
    orchestrator: *mut c_void,
    address: *mut *const c_char,
    address_len: *mut usize,
) -> SRError {
    guard("sr_orchestrator_address", || {
        let h = self::orchestrator(orchestrator)?;
        let out = out_arg(address, "address")?;
        let out_len = out_arg(address_len, "address_len")?;
        h.address = super::to_cstring(&h.orc.address());
        *out = h.address.as_ptr();
        *out_len = h.address.as_bytes().len();
        Ok(())
    })
}

/// The file holding the store's password (what `SR_PASSWORD_FILE` names), or `""` when the store needs none.
/// `*path` (NUL-terminated, `*path_len` bytes without the NUL) is owned by the handle and valid until the next
/// call on it.
#[no_mangle]
pub extern "C" fn sr_orchestrator_password_file(
    orchestrator: *mut c_void,
    path: *mut *const c_char,
    path_len: *mut usize,
) -> SRError {
    guard("sr_orchestrator_password_file", || {
        access_path(orchestrator, path, path_len, |a| a.password_file.as_deref())
    })
}

/// The CA certificate the store's TLS certificates chain to (what `SR_TLS_CA_FILE` names), or `""` when the
/// store does not serve TLS. `*path` (NUL-terminated, `*path_len` bytes without the NUL) is owned by the handle and
/// valid until the next call on it.
#[no_mangle]
pub extern "C" fn sr_orchestrator_tls_ca_file(
    orchestrator: *mut c_void,
    path: *mut *const c_char,
    path_len: *mut usize,
) -> SRError {
    guard("sr_orchestrator_tls_ca_file", || {
        access_path(orchestrator, path, path_len, |a| a.tls_ca.as_deref())
    })
}

/// Hands out one path of the store's access facts (`""` when absent) through the handle's string buffer.
fn access_path(
    orchestrator: *mut c_void,
    path: *mut *const c_char,
    path_len: *mut usize,
    pick: impl FnOnce(&Access) -> Option<&std::path::Path>,
) -> Result<()> {
    let h = self::orchestrator(orchestrator)?;
    let out = out_arg(path, "path")?;
    let out_len = out_arg(path_len, "path_len")?;
    let file = pick(h.orc.access())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    h.address = super::to_cstring(&file);
    *out = h.address.as_ptr();
    *out_len = h.address.as_bytes().len();
    Ok(())
}

/// Standalone or clustered.
#[no_mangle]
pub extern "C" fn sr_orchestrator_db_type(
    orchestrator: *mut c_void,
    db_type: *mut SRDbType,
) -> SRError {
    guard("sr_orchestrator_db_type", || {
        let h = self::orchestrator(orchestrator)?;
        *out_arg(db_type, "db_type")? = match h.orc.db_type() {
            DbType::Standalone => SRDbType::SRDbStandalone,
            DbType::Clustered => SRDbType::SRDbClustered,
        };
        Ok(())
    })
}

/// Whether every shard runs and answers.
#[no_mangle]
pub extern "C" fn sr_orchestrator_is_active(
    orchestrator: *mut c_void,
    active: *mut bool,
) -> SRError {
    guard("sr_orchestrator_is_active", || {
        let h = self::orchestrator(orchestrator)?;
        let out = out_arg(active, "active")?;
        *out = h.orc.is_active();
        Ok(())
    })
}

/// Per-shard states: writes up to `states_len` entries to `states` (which may be NULL when `states_len` is 0) and
/// the number of shards to `*n_shards`.
#[no_mangle]
pub extern "C" fn sr_orchestrator_status(
    orchestrator: *mut c_void,
    states: *mut SRShardState,
    states_len: usize,
    n_shards: *mut usize,
) -> SRError {
    guard("sr_orchestrator_status", || {
        let h = self::orchestrator(orchestrator)?;
        let n_out = out_arg(n_shards, "n_shards")?;
        let out: &mut [SRShardState] = if states_len == 0 {
            &mut []
        } else {
            if states.is_null() {
                return Err(super::null_error("states"));
            }
            slice_arg(states, states_len, "states")?;
            // SAFETY: checked non-null, aligned and sized just above; the caller owns `states_len` writable entries.
            unsafe { std::slice::from_raw_parts_mut(states, states_len) }
        };
        let status = h.orc.status();
        for (slot, s) in out.iter_mut().zip(&status) {
            *slot = match s.state {
                ShardState::Running => SRShardState::SRShardRunning,
                ShardState::Unresponsive => SRShardState::SRShardUnresponsive,
                ShardState::Exited => SRShardState::SRShardExited,
            };
        }
        *n_out = status.len();
        Ok(())
    })
}

/// `CONFIG SET name value` on every shard.
#[no_mangle]
pub extern "C" fn sr_orchestrator_config_set(
    orchestrator: *mut c_void,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
) -> SRError {
    guard("sr_orchestrator_config_set", || {
        let h = self::orchestrator(orchestrator)?;
        let name = str_arg(name, name_len, "name")?;
        let value = str_arg(value, value_len, "value")?;
        Ok(h.orc.config_set(name, value)?)
    })
}

/// Creates a SmartRedis client connected to this orchestrator (its `SSDB` and `SR_DB_TYPE`, other settings from
/// the environment), logging as `logger_name`. On success `*new_client` is a new client handle owned by the caller:
/// free it with `DeleteCClient`. The client does not keep the orchestrator handle alive.
#[no_mangle]
pub extern "C" fn sr_orchestrator_create_client(
    orchestrator: *mut c_void,
    logger_name: *const c_char,
    logger_name_len: usize,
    new_client: *mut *mut c_void,
) -> SRError {
    guard("sr_orchestrator_create_client", || {
        let h = self::orchestrator(orchestrator)?;
        let name = str_arg(logger_name, logger_name_len, "logger_name")?;
        super::client::store_client(new_client, || h.orc.client(name))
    })
}

/// What [`sr_orchestrator_start`] would run (command lines, job scripts), started nothing. `*text`
/// (NUL-terminated, `*text_len` bytes without the NUL) is owned by the handle and valid until the next call on it.
#[no_mangle]
pub extern "C" fn sr_orchestrator_dry_run(
    orchestrator: *mut c_void,
    text: *mut *const c_char,
    text_len: *mut usize,
) -> SRError {
    guard("sr_orchestrator_dry_run", || {
        let h = self::orchestrator(orchestrator)?;
        let out = out_arg(text, "text")?;
        let out_len = out_arg(text_len, "text_len")?;
        h.address = super::to_cstring(&h.orc.dry_run()?);
        *out = h.address.as_ptr();
        *out_len = h.address.as_bytes().len();
        Ok(())
    })
}

/// Stops every shard (SHUTDOWN, then the launcher's SIGTERM/SIGKILL or scancel/qdel/bkill, bounded; only what
/// checks out as this store's shards) and removes the state file.
#[no_mangle]
pub extern "C" fn sr_orchestrator_stop(orchestrator: *mut c_void) -> SRError {
    guard("sr_orchestrator_stop", || {
        Ok(self::orchestrator(orchestrator)?.orc.stop()?)
    })
}

/// Makes [`sr_orchestrator_free`] leave the store running (to be stopped later, e.g. by `smartredis stop`).
#[no_mangle]
pub extern "C" fn sr_orchestrator_detach(orchestrator: *mut c_void) -> SRError {
    guard("sr_orchestrator_detach", || {
        self::orchestrator(orchestrator)?.orc.stop_on_drop = false;
        Ok(())
    })
}

/// Frees an orchestrator handle and sets `*orchestrator` to NULL; stops the store first if this handle started it
/// and it was not detached. A NULL `*orchestrator` is a no-op; `orchestrator` itself must not be NULL.
#[no_mangle]
pub extern "C" fn sr_orchestrator_free(orchestrator: *mut *mut c_void) -> SRError {
    guard("sr_orchestrator_free", || {
        free_handle_at::<OrchestratorHandle>(orchestrator, "orchestrator")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::null_mut;

    fn s(t: &str) -> (*const c_char, usize) {
        (t.as_ptr().cast(), t.len())
    }

    #[test]
    fn start_address_status_stop_through_the_c_api() {
        let dir = std::env::temp_dir().join(format!("sr-ffi-orc-{}", std::process::id()));
        let dir_s = dir.display().to_string();
        let mut opts: *mut c_void = null_mut();
        assert_eq!(sr_orchestrator_options_new(&mut opts), SRError::SRNoError);
        assert_eq!(
            sr_orchestrator_options_set_shards(opts, 3),
            SRError::SRNoError
        );
        let (p, l) = s(&dir_s);
        assert_eq!(
            sr_orchestrator_options_set_dir(opts, p, l),
            SRError::SRNoError
        );
        assert_eq!(
            sr_orchestrator_options_set_module(opts, false),
            SRError::SRNoError
        );
        let mut orc: *mut c_void = null_mut();
        assert_eq!(sr_orchestrator_new(opts, &mut orc), SRError::SRNoError);
        assert_eq!(sr_orchestrator_options_free(&mut opts), SRError::SRNoError);
        assert!(opts.is_null());
        assert_eq!(sr_orchestrator_start(orc), SRError::SRNoError);

        let mut addr: *const c_char = std::ptr::null();
        let mut len = 0usize;
        assert_eq!(
            sr_orchestrator_address(orc, &mut addr, &mut len),
            SRError::SRNoError
        );
        // SAFETY: the address is a NUL-terminated string owned by the handle.
        let text = unsafe { std::ffi::CStr::from_ptr(addr) }
            .to_str()
            .unwrap_or_default()
            .to_string();
        assert_eq!(text.split(',').count(), 3);
        assert_eq!(text.len(), len);
        let mut t = SRDbType::SRDbStandalone;
        assert_eq!(sr_orchestrator_db_type(orc, &mut t), SRError::SRNoError);
        assert_eq!(t, SRDbType::SRDbClustered);
        let mut active = false;
        assert_eq!(
            sr_orchestrator_is_active(orc, &mut active),
            SRError::SRNoError
        );
        assert!(active);
        let mut states = [SRShardState::SRShardExited; 4];
        let mut n = 0usize;
        assert_eq!(
            sr_orchestrator_status(orc, states.as_mut_ptr(), 4, &mut n),
            SRError::SRNoError
        );
        assert_eq!(n, 3);
        assert!(states[..3]
            .iter()
            .all(|&s| s == SRShardState::SRShardRunning));
        let (np, nl) = s("maxmemory");
        let (vp, vl) = s("10mb");
        assert_eq!(
            sr_orchestrator_config_set(orc, np, nl, vp, vl),
            SRError::SRNoError
        );
        assert_eq!(sr_orchestrator_stop(orc), SRError::SRNoError);
        let mut active = true;
        assert_eq!(
            sr_orchestrator_is_active(orc, &mut active),
            SRError::SRNoError
        );
        assert!(!active);
        assert_eq!(sr_orchestrator_free(&mut orc), SRError::SRNoError);
        assert!(orc.is_null());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_arguments_are_errors_not_crashes() {
        assert_eq!(
            sr_orchestrator_options_new(null_mut()),
            SRError::SRParameterError
        );
        assert_eq!(
            sr_orchestrator_options_set_shards(null_mut(), 1),
            SRError::SRParameterError
        );
        let mut opts: *mut c_void = null_mut();
        assert_eq!(sr_orchestrator_options_new(&mut opts), SRError::SRNoError);
        // An options handle is not an orchestrator.
        assert_eq!(sr_orchestrator_start(opts), SRError::SRParameterError);
        assert_eq!(
            sr_orchestrator_options_set_shards(opts, 0),
            SRError::SRNoError
        );
        let mut orc: *mut c_void = null_mut();
        assert_eq!(
            sr_orchestrator_new(opts, &mut orc),
            SRError::SRParameterError
        );
        assert!(orc.is_null());
        let (p, l) = s("/nonexistent/redis-server");
        assert_eq!(
            sr_orchestrator_options_set_shards(opts, 1),
            SRError::SRNoError
        );
        assert_eq!(
            sr_orchestrator_options_set_redis_server(opts, p, l),
            SRError::SRNoError
        );
        assert_eq!(sr_orchestrator_new(opts, &mut orc), SRError::SRNoError);
        assert_eq!(sr_orchestrator_start(orc), SRError::SRRuntimeError);
        super::super::with_last_error(|e| {
            assert!(e
                .message
                .to_string_lossy()
                .contains("/nonexistent/redis-server"));
        });
        assert_eq!(sr_orchestrator_free(&mut orc), SRError::SRNoError);
        assert_eq!(sr_orchestrator_options_free(&mut opts), SRError::SRNoError);
        // A NULL handle is a no-op (so a second free through the same variable is); no variable is an error.
        assert_eq!(sr_orchestrator_free(&mut orc), SRError::SRNoError);
        assert_eq!(sr_orchestrator_options_free(&mut opts), SRError::SRNoError);
        assert_eq!(sr_orchestrator_free(null_mut()), SRError::SRParameterError);
        // CPU indices are checked against the machine when set; launcher names are checked too.
        let mut opts: *mut c_void = null_mut();
        assert_eq!(sr_orchestrator_options_new(&mut opts), SRError::SRNoError);
        let cpus = [99_999usize];
        assert_eq!(
            sr_orchestrator_options_set_cpus(opts, cpus.as_ptr(), 1),
            SRError::SRParameterError
        );
        super::super::with_last_error(|e| {
            assert!(e
                .message
                .to_string_lossy()
                .contains("CPU 99999 does not exist"));
        });
        let (p, l) = s("slurm");
        assert_eq!(
            sr_orchestrator_options_set_launcher(opts, p, l),
            SRError::SRNoError
        );
        let (p, l) = s("k8s");
        assert_eq!(
            sr_orchestrator_options_set_launcher(opts, p, l),
            SRError::SRParameterError
        );
        assert_eq!(sr_orchestrator_options_free(&mut opts), SRError::SRNoError);
        assert_eq!(
            sr_orchestrator_options_free(null_mut()),
            SRError::SRParameterError
        );
    }
}
