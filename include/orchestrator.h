/*
 * orchestrator.h: SmartRedis::OrchestratorOptions and SmartRedis::Orchestrator, the launcher of local Redis stores
 * (1 shard, or a Redis Cluster of N shards) over the sr_orchestrator_* C functions of smartredis.h.
 * Not part of upstream SmartRedis. In C this header is empty (include smartredis.h instead).
 *
 * Every method throws the SmartRedis exception matching the SRError code of the C call (srexception_cpp.h).
 */
#ifndef SMARTREDIS_ORCHESTRATOR_H
#define SMARTREDIS_ORCHESTRATOR_H

#ifdef __cplusplus

#include <cstdint>
#include <string>
#include <vector>

#include "smartredis.h"
#include "srexception_cpp.h"
#include "client.h"

namespace SmartRedis {

/// Options of an Orchestrator (defaults: 1 shard on a free loopback port, module loaded, no persistence, working
/// directory = current directory). Move-only; the setters return *this for chaining.
class OrchestratorOptions
{
    public:
        OrchestratorOptions() { internal::check(sr_orchestrator_options_new(&_opts)); }
        OrchestratorOptions(const OrchestratorOptions&) = delete;
        OrchestratorOptions& operator=(const OrchestratorOptions&) = delete;
        OrchestratorOptions(OrchestratorOptions&& other) noexcept : _opts(other._opts) { other._opts = nullptr; }
        OrchestratorOptions& operator=(OrchestratorOptions&& other) noexcept
        {
            if (this != &other) {
                _free();
                _opts = other._opts;
                other._opts = nullptr;
            }
            return *this;
        }
        ~OrchestratorOptions() { _free(); }

        /// Number of shards: 1 = standalone, >= 2 = Redis Cluster.
        OrchestratorOptions& set_shards(size_t shards)
        {
            internal::check(sr_orchestrator_options_set_shards(_opts, shards));
            return *this;
        }
        /// Working directory (logs, state file, RDB/AOF).
        OrchestratorOptions& set_dir(const std::string& dir)
        {
            internal::check(sr_orchestrator_options_set_dir(_opts, dir.data(), dir.size()));
            return *this;
        }
        /// Base port: shard i listens on port + i (0 = free ports).
        OrchestratorOptions& set_port(uint16_t port)
        {
            internal::check(sr_orchestrator_options_set_port(_opts, port));
            return *this;
        }
        /// Bind this IPv4 address (default 127.0.0.1).
        OrchestratorOptions& set_bind_address(const std::string& address)
        {
            internal::check(sr_orchestrator_options_set_bind_address(_opts, address.data(), address.size()));
            return *this;
        }
        /// Bind the IPv4 address of this network interface.
        OrchestratorOptions& set_interface(const std::string& name)
        {
            internal::check(sr_orchestrator_options_set_interface(_opts, name.data(), name.size()));
            return *this;
        }
        /// Also listen on this Unix socket with these permissions (standalone only).
        OrchestratorOptions& set_unix_socket(const std::string& path, uint32_t permissions = 0700)
        {
            internal::check(sr_orchestrator_options_set_unix_socket(_opts, path.data(), path.size(), permissions));
            return *this;
        }
        /// Whether the shards require a password: SRAuthAuto (on for a non-loopback bind), SRAuthOn (this password,
        /// or a generated one when empty), SRAuthOff.
        OrchestratorOptions& set_auth(SRAuthMode mode, const std::string& password = "")
        {
            internal::check(sr_orchestrator_options_set_auth(_opts, mode, password.data(), password.size()));
            return *this;
        }
        /// TLS on the shards' ports: with these CA, certificate and key files, or generated ones when all are empty.
        OrchestratorOptions& set_tls(bool enabled, const std::string& ca_file = "", const std::string& cert_file = "",
                                     const std::string& key_file = "")
        {
            internal::check(sr_orchestrator_options_set_tls(_opts, enabled, ca_file.data(), ca_file.size(),
                                                            cert_file.data(), cert_file.size(),
                                                            key_file.data(), key_file.size()));
            return *this;
        }
        /// Allows Unix socket permissions wider than 0700.
        OrchestratorOptions& set_shared_socket(bool shared)
        {
            internal::check(sr_orchestrator_options_set_shared_socket(_opts, shared));
            return *this;
        }
        /// Path of redis-server (default: REDIS_PATH, then PATH).
        OrchestratorOptions& set_redis_server(const std::string& path)
        {
            internal::check(sr_orchestrator_options_set_redis_server(_opts, path.data(), path.size()));
            return *this;
        }
        /// Load the RedisAI-compatible module (default true).
        OrchestratorOptions& set_module(bool enabled)
        {
            internal::check(sr_orchestrator_options_set_module(_opts, enabled));
            return *this;
        }
        /// Path of the module library (implies loading it).
        OrchestratorOptions& set_module_path(const std::string& path)
        {
            internal::check(sr_orchestrator_options_set_module_path(_opts, path.data(), path.size()));
            return *this;
        }
        /// Let the live shards of a cluster keep serving their slots while a shard is down
        /// (cluster-require-full-coverage no; default false, as Redis).
        OrchestratorOptions& set_partial_coverage(bool enabled)
        {
            internal::check(sr_orchestrator_options_set_partial_coverage(_opts, enabled));
            return *this;
        }
        /// Module THREADS_PER_QUEUE, INTER_OP_PARALLELISM, INTRA_OP_PARALLELISM (0 leaves one unset).
        OrchestratorOptions& set_module_threads(uint32_t threads_per_queue, uint32_t inter_op = 0,
                                                uint32_t intra_op = 0)
        {
            internal::check(sr_orchestrator_options_set_module_threads(_opts, threads_per_queue, inter_op, intra_op));
            return *this;
        }
        /// Module BACKENDSPATH.
        OrchestratorOptions& set_backends_path(const std::string& path)
        {
            internal::check(sr_orchestrator_options_set_backends_path(_opts, path.data(), path.size()));
            return *this;
        }
        /// maxmemory of each shard ("1gb", ...).
        OrchestratorOptions& set_maxmemory(const std::string& value)
        {
            internal::check(sr_orchestrator_options_set_maxmemory(_opts, value.data(), value.size()));
            return *this;
        }
        /// maxmemory-policy (noeviction, allkeys-lru, ...).
        OrchestratorOptions& set_eviction_policy(const std::string& policy)
        {
            internal::check(sr_orchestrator_options_set_eviction_policy(_opts, policy.data(), policy.size()));
            return *this;
        }
        /// maxclients.
        OrchestratorOptions& set_maxclients(uint32_t maxclients)
        {
            internal::check(sr_orchestrator_options_set_maxclients(_opts, maxclients));
            return *this;
        }
        /// proto-max-bulk-len (default 2560mb).
        OrchestratorOptions& set_proto_max_bulk_len(const std::string& value)
        {
            internal::check(sr_orchestrator_options_set_proto_max_bulk_len(_opts, value.data(), value.size()));
            return *this;
        }
        /// RDB with this save spec when `rdb` ("" = at stop only), and/or the append-only file.
        OrchestratorOptions& set_persistence(bool rdb, const std::string& save_spec, bool aof)
        {
            internal::check(
                sr_orchestrator_options_set_persistence(_opts, rdb, save_spec.data(), save_spec.size(), aof));
            return *this;
        }
        /// Appends one argument to every shard's redis-server command line.
        OrchestratorOptions& add_server_arg(const std::string& arg)
        {
            internal::check(sr_orchestrator_options_add_server_arg(_opts, arg.data(), arg.size()));
            return *this;
        }
        /// Bounds on start and stop in milliseconds (0 keeps the default).
        OrchestratorOptions& set_timeouts(uint64_t start_timeout_ms, uint64_t stop_timeout_ms)
        {
            internal::check(sr_orchestrator_options_set_timeouts(_opts, start_timeout_ms, stop_timeout_ms));
            return *this;
        }
        /// Database identifier: the environment names become SSDB_<id> / SR_DB_TYPE_<id>.
        OrchestratorOptions& set_db_identifier(const std::string& id)
        {
            internal::check(sr_orchestrator_options_set_db_identifier(_opts, id.data(), id.size()));
            return *this;
        }
        /// The launcher: "local", "slurm", "pbs", "lsf", "cobalt" or "auto" (from the scheduler's job id).
        OrchestratorOptions& set_launcher(const std::string& name)
        {
            internal::check(sr_orchestrator_options_set_launcher(_opts, name.data(), name.size()));
            return *this;
        }
        /// Scheduler launchers: nodes (0 = one shard per node), CPUs per shard (0 = default), and for a separate
        /// store job its walltime, account and queue ("" = not given); `batch` asks for a separate job even
        /// inside an allocation.
        OrchestratorOptions& set_scheduler(size_t nodes, uint32_t cpus_per_shard, const std::string& walltime,
                                           const std::string& account, const std::string& queue, bool batch)
        {
            internal::check(sr_orchestrator_options_set_scheduler(_opts, nodes, cpus_per_shard,
                                                                  walltime.data(), walltime.size(),
                                                                  account.data(), account.size(),
                                                                  queue.data(), queue.size(), batch));
            return *this;
        }
        /// Pins every shard to these CPUs (each must exist on this machine).
        OrchestratorOptions& set_cpus(const std::vector<size_t>& cpus)
        {
            internal::check(sr_orchestrator_options_set_cpus(_opts, cpus.data(), cpus.size()));
            return *this;
        }

        /// The C handle; owned by this object.
        void* _get_c_handle() const noexcept { return _opts; }

    private:
        void _free() noexcept
        {
            (void)sr_orchestrator_options_free(&_opts);
            _opts = nullptr;
        }

        void* _opts = nullptr;
};

/// A local store: its shards are started by start() and stopped by stop() or, unless detach() was called, by the
/// destructor. Move-only.
class Orchestrator
{
    public:
        /// An orchestrator with a copy of `options`; nothing starts until start().
        explicit Orchestrator(const OrchestratorOptions& options)
        {
            internal::check(sr_orchestrator_new(options._get_c_handle(), &_orc));
        }
        /// The store recorded in working directory `dir` (started by any process); never stopped by the destructor.
        static Orchestrator attach(const std::string& dir)
        {
            void* handle = nullptr;
            internal::check(sr_orchestrator_attach(dir.data(), dir.size(), &handle));
            return Orchestrator(handle);
        }
        Orchestrator(const Orchestrator&) = delete;
        Orchestrator& operator=(const Orchestrator&) = delete;
        Orchestrator(Orchestrator&& other) noexcept : _orc(other._orc) { other._orc = nullptr; }
        Orchestrator& operator=(Orchestrator&& other) noexcept
        {
            if (this != &other) {
                _free();
                _orc = other._orc;
                other._orc = nullptr;
            }
            return *this;
        }
        /// Stops the store if this object started it and detach() was not called.
        ~Orchestrator() { _free(); }

        /// Starts the shards; returns once the store is usable.
        void start() { internal::check(sr_orchestrator_start(_orc)); }
        /// The SSDB value (host:port[,host:port...]).
        std::string address()
        {
            const char* text = nullptr;
            size_t len = 0;
            internal::check(sr_orchestrator_address(_orc, &text, &len));
            return std::string(text, len);
        }
        /// The file holding the store's password (for SR_PASSWORD_FILE), or "" when it needs none.
        std::string password_file()
        {
            const char* text = nullptr;
            size_t len = 0;
            internal::check(sr_orchestrator_password_file(_orc, &text, &len));
            return std::string(text, len);
        }
        /// The CA certificate clients verify the store against (for SR_TLS_CA_FILE), or "" without TLS.
        std::string tls_ca_file()
        {
            const char* text = nullptr;
            size_t len = 0;
            internal::check(sr_orchestrator_tls_ca_file(_orc, &text, &len));
            return std::string(text, len);
        }
        /// What start() would run (command lines, job scripts); starts nothing.
        std::string dry_run()
        {
            const char* text = nullptr;
            size_t len = 0;
            internal::check(sr_orchestrator_dry_run(_orc, &text, &len));
            return std::string(text, len);
        }
        /// Standalone or clustered.
        SRDbType db_type()
        {
            SRDbType type = SRDbStandalone;
            internal::check(sr_orchestrator_db_type(_orc, &type));
            return type;
        }
        /// Whether every shard runs and answers.
        bool is_active()
        {
            bool active = false;
            internal::check(sr_orchestrator_is_active(_orc, &active));
            return active;
        }
        /// The state of each shard.
        std::vector<SRShardState> status()
        {
            size_t n = 0;
            internal::check(sr_orchestrator_status(_orc, nullptr, 0, &n));
            std::vector<SRShardState> states(n, SRShardExited);
            if (n > 0)
                internal::check(sr_orchestrator_status(_orc, states.data(), states.size(), &n));
            states.resize(n < states.size() ? n : states.size());
            return states;
        }
        /// CONFIG SET name value on every shard.
        void config_set(const std::string& name, const std::string& value)
        {
            internal::check(sr_orchestrator_config_set(_orc, name.data(), name.size(), value.data(), value.size()));
        }
        /// A client connected to this store (other settings from the environment), logging as `logger_name`.
        Client create_client(const std::string& logger_name = "default")
        {
            void* c_client = nullptr;
            internal::check(sr_orchestrator_create_client(_orc, logger_name.data(), logger_name.size(), &c_client));
            return Client::_adopt_c_handle(c_client, logger_name);
        }
        /// Stops every shard and removes the state file.
        void stop() { internal::check(sr_orchestrator_stop(_orc)); }
        /// Leaves the store running when this object is destroyed.
        void detach() { internal::check(sr_orchestrator_detach(_orc)); }

        /// The C handle; owned by this object.
        void* _get_c_handle() const noexcept { return _orc; }

    private:
        explicit Orchestrator(void* handle) noexcept : _orc(handle) {}
        void _free() noexcept
        {
            (void)sr_orchestrator_free(&_orc);
            _orc = nullptr;
        }

        void* _orc = nullptr;
};

} // namespace SmartRedis

#endif /* __cplusplus */
#endif /* SMARTREDIS_ORCHESTRATOR_H */
