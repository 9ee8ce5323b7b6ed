!> smartredis_orchestrator: the launcher of local stores (1 shard, or a Redis Cluster of N shards), over the
!! sr_orchestrator_* functions of smartredis.h. Not part of upstream SmartRedis.
!!
!! Every function returns an SRError code (SRNoError on success; the message is then in get_last_error()).
!! Strings are trimmed. A client connected to a started store: `code = client%initialize(orchestrator, 'name')`
!! (smartredis_client).
module smartredis_orchestrator

  use iso_c_binding, only : c_ptr, c_null_ptr, c_size_t, c_bool, c_int16_t, c_int32_t, c_int64_t, &
                            c_associated
  use fortran_c_interop, only : enum_kind, c_buffer_to_fortran

  implicit none
  private

#include "enum_fortran.inc"

  public :: enum_kind

  !> SRDbType: standalone (1 shard) or clustered.
  enum, bind(c)
    enumerator :: SRDbStandalone = 0
    enumerator :: SRDbClustered  = 1
  end enum
  !> SRShardState: runs and answers; runs but does not answer (or its cluster is not ok); process gone.
  enum, bind(c)
    enumerator :: SRShardRunning      = 0
    enumerator :: SRShardUnresponsive = 1
    enumerator :: SRShardExited       = 2
  end enum
  !> SRAuthMode: password on for a non-loopback bind (default), on, off.
  enum, bind(c)
    enumerator :: SRAuthAuto = 0
    enumerator :: SRAuthOn   = 1
    enumerator :: SRAuthOff  = 2
  end enum
  public :: SRDbStandalone, SRDbClustered, SRShardRunning, SRShardUnresponsive, SRShardExited
  public :: SRAuthAuto, SRAuthOn, SRAuthOff

  !> Options of an orchestrator (after `initialize`: 1 shard on a free loopback port, module loaded, no
  !! persistence, working directory = current directory). Frees its C object when finalized; a copy made by
  !! assignment shares the object without owning it.
  type, public :: orchestrator_options_type
    private
    type(c_ptr) :: options_ptr = c_null_ptr !< the C handle
    logical     :: owner = .false.          !< whether this variable frees the handle
  contains
    procedure :: initialize => initialize_options
    procedure :: set_shards
    procedure :: set_port
    procedure :: set_unix_socket
    procedure :: set_module
    procedure :: set_module_threads
    procedure :: set_partial_coverage
    procedure :: set_maxclients
    procedure :: set_persistence
    procedure :: set_timeouts
    procedure :: set_cpus
    procedure :: set_auth
    procedure :: set_tls
    procedure :: set_shared_socket
    procedure :: set_dir
    procedure :: set_bind_address
    procedure :: set_interface
    procedure :: set_redis_server
    procedure :: set_module_path
    procedure :: set_backends_path
    procedure :: set_maxmemory
    procedure :: set_eviction_policy
    procedure :: set_proto_max_bulk_len
    procedure :: add_server_arg
    procedure :: set_db_identifier
    procedure :: set_launcher
    procedure :: set_scheduler
    procedure :: get_c_pointer => options_get_c_pointer
    procedure :: destructor => options_destructor
    procedure, private :: assign_options
    generic :: assignment(=) => assign_options
    final :: finalize_options
  end type orchestrator_options_type

  !> A local store. `initialize` (or `attach`) makes it, `start` starts its shards, `stop` stops them. When
  !! finalized it stops the store it started unless `detach` was called; a copy made by assignment shares the
  !! handle without owning it.
  type, public :: orchestrator_type
    private
    type(c_ptr) :: orchestrator_ptr = c_null_ptr !< the C handle
    logical     :: owner = .false.               !< whether this variable frees the handle
  contains
    procedure :: initialize => initialize_orchestrator
    procedure :: attach
    procedure :: start
    procedure :: address
    procedure :: password_file
    procedure :: tls_ca_file
    procedure :: db_type
    procedure :: is_active
    procedure :: status
    procedure :: config_set
    procedure :: stop
    procedure :: detach
    procedure :: get_c_pointer
    procedure :: destructor
    procedure, private :: assign_orchestrator
    generic :: assignment(=) => assign_orchestrator
    final :: finalize_orchestrator
  end type orchestrator_type

#include "c_interfaces.inc"

contains

  ! ---- orchestrator_options_type ----

  !> Creates the options with their defaults (frees what this variable owned before).
  function initialize_options(self) result(code)
    class(orchestrator_options_type), intent(inout) :: self
    integer(kind=enum_kind)                         :: code

    code = self%destructor()
    code = sr_orchestrator_options_new_c(self%options_ptr)
    self%owner = code == SRNoError
  end function initialize_options

  !> Number of shards: 1 = standalone, >= 2 = Redis Cluster.
  function set_shards(self, shards) result(code)
    class(orchestrator_options_type), intent(in) :: self
    integer,                          intent(in) :: shards
    integer(kind=enum_kind)                      :: code

    if (shards < 0) then
      code = SRParameterError
    else
      code = sr_orchestrator_options_set_shards_c(self%options_ptr, int(shards, c_size_t))
    end if
  end function set_shards

  !> Base port: shard i listens on port + i (0 = free ports, the default).
  function set_port(self, port) result(code)
    class(orchestrator_options_type), intent(in) :: self
    integer,                          intent(in) :: port
    integer(kind=enum_kind)                      :: code

    if (port < 0 .or. port > 65535) then
      code = SRParameterError
    else
      ! uint16_t in C: ports above 32767 wrap to the same bits.
      code = sr_orchestrator_options_set_port_c(self%options_ptr, &
                                                int(merge(port - 65536, port, port > 32767), c_int16_t))
    end if
  end function set_port

  !> Also listens on Unix socket `path` (relative: in the working directory) with `permissions` (default
  !! o'700'); standalone only.
  function set_unix_socket(self, path, permissions) result(code)
    class(orchestrator_options_type), intent(in) :: self
    character(len=*),                 intent(in) :: path
    integer, optional,                intent(in) :: permissions
    integer(kind=enum_kind)                      :: code

    integer(kind=c_int32_t) :: perm

    perm = int(o'700', c_int32_t)
    if (present(permissions)) perm = int(permissions, c_int32_t)
    code = sr_orchestrator_options_set_unix_socket_c(self%options_ptr, &
                                                     trim(path), len_trim(path, kind=c_size_t), perm)
  end function set_unix_socket

  !> Whether the shards require a password: SRAuthAuto (on for a non-loopback bind, the default), SRAuthOn (with
  !! `password`, or a generated one when absent or empty), SRAuthOff.
  function set_auth(self, mode, password) result(code)
    class(orchestrator_options_type), intent(in) :: self
    integer(kind=enum_kind),          intent(in) :: mode
    character(len=*), optional,       intent(in) :: password
    integer(kind=enum_kind)                      :: code

    if (present(password)) then
      code = sr_orchestrator_options_set_auth_c(self%options_ptr, mode, password, len(password, kind=c_size_t))
    else
      code = sr_orchestrator_options_set_auth_c(self%options_ptr, mode, '', 0_c_size_t)
    end if
  end function set_auth

  !> TLS on the shards' ports when `enabled`: with the CA, certificate and key files (absolute paths, all three),
  !! or with ones generated for the run when they are absent.
  function set_tls(self, enabled, ca_file, cert_file, key_file) result(code)
    class(orchestrator_options_type), intent(in) :: self
    logical,                          intent(in) :: enabled
    character(len=*), optional,       intent(in) :: ca_file, cert_file, key_file
    integer(kind=enum_kind)                      :: code

    if (present(ca_file) .and. present(cert_file) .and. present(key_file)) then
      code = sr_orchestrator_options_set_tls_c(self%options_ptr, logical(enabled, c_bool), &
                                               trim(ca_file), len_trim(ca_file, kind=c_size_t), &
                                               trim(cert_file), len_trim(cert_file, kind=c_size_t), &
                                               trim(key_file), len_trim(key_file, kind=c_size_t))
    else if (present(ca_file) .or. present(cert_file) .or. present(key_file)) then
      code = SRParameterError
    else
      code = sr_orchestrator_options_set_tls_c(self%options_ptr, logical(enabled, c_bool), &
                                               '', 0_c_size_t, '', 0_c_size_t, '', 0_c_size_t)
    end if
  end function set_tls

  !> Allows Unix socket permissions wider than o'700'.
  function set_shared_socket(self, shared) result(code)
    class(orchestrator_options_type), intent(in) :: self
    logical,                          intent(in) :: shared
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_shared_socket_c(self%options_ptr, logical(shared, c_bool))
  end function set_shared_socket

  !> Loads the RedisAI-compatible module (default .true.).
  function set_module(self, enabled) result(code)
    class(orchestrator_options_type), intent(in) :: self
    logical,                          intent(in) :: enabled
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_module_c(self%options_ptr, logical(enabled, c_bool))
  end function set_module

  !> Module THREADS_PER_QUEUE, INTER_OP_PARALLELISM and INTRA_OP_PARALLELISM (0 or absent leaves one unset).
  function set_module_threads(self, threads_per_queue, inter_op_threads, intra_op_threads) result(code)
    class(orchestrator_options_type), intent(in) :: self
    integer,                          intent(in) :: threads_per_queue
    integer, optional,                intent(in) :: inter_op_threads, intra_op_threads
    integer(kind=enum_kind)                      :: code

    integer(kind=c_int32_t) :: inter, intra

    inter = 0
    intra = 0
    if (present(inter_op_threads)) inter = int(inter_op_threads, c_int32_t)
    if (present(intra_op_threads)) intra = int(intra_op_threads, c_int32_t)
    if (threads_per_queue < 0 .or. inter < 0 .or. intra < 0) then
      code = SRParameterError
    else
      code = sr_orchestrator_options_set_module_threads_c(self%options_ptr, &
                                                          int(threads_per_queue, c_int32_t), inter, intra)
    end if
  end function set_module_threads

  !> Let the live shards of a cluster keep serving their slots while a shard is down
  !> (cluster-require-full-coverage no; default .false., as Redis).
  function set_partial_coverage(self, enabled) result(code)
    class(orchestrator_options_type), intent(in) :: self
    logical,                          intent(in) :: enabled
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_partial_coverage_c(self%options_ptr, logical(enabled, c_bool))
  end function set_partial_coverage

  !> maxclients.
  function set_maxclients(self, maxclients) result(code)
    class(orchestrator_options_type), intent(in) :: self
    integer,                          intent(in) :: maxclients
    integer(kind=enum_kind)                      :: code

    if (maxclients < 0) then
      code = SRParameterError
    else
      code = sr_orchestrator_options_set_maxclients_c(self%options_ptr, int(maxclients, c_int32_t))
    end if
  end function set_maxclients

  !> Persistence: RDB with `save_spec` when `rdb` ('' = at stop only), and/or the append-only file.
  function set_persistence(self, rdb, save_spec, aof) result(code)
    class(orchestrator_options_type), intent(in) :: self
    logical,                          intent(in) :: rdb, aof
    character(len=*),                 intent(in) :: save_spec
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_persistence_c(self%options_ptr, logical(rdb, c_bool), trim(save_spec), &
                                                     len_trim(save_spec, kind=c_size_t), logical(aof, c_bool))
  end function set_persistence

  !> Bounds on start and stop in milliseconds (0 keeps the default: 30 s and 10 s).
  function set_timeouts(self, start_timeout_ms, stop_timeout_ms) result(code)
    class(orchestrator_options_type), intent(in) :: self
    integer(kind=c_int64_t),          intent(in) :: start_timeout_ms, stop_timeout_ms
    integer(kind=enum_kind)                      :: code

    if (start_timeout_ms < 0 .or. stop_timeout_ms < 0) then
      code = SRParameterError
    else
      code = sr_orchestrator_options_set_timeouts_c(self%options_ptr, start_timeout_ms, stop_timeout_ms)
    end if
  end function set_timeouts

  !> Pins every shard to these CPUs.
  function set_cpus(self, cpus) result(code)
    class(orchestrator_options_type), intent(in) :: self
    integer,                          intent(in) :: cpus(:)
    integer(kind=enum_kind)                      :: code

    integer(kind=c_size_t) :: c_cpus(max(size(cpus), 1))

    if (any(cpus < 0)) then
      code = SRParameterError
      return
    end if
    c_cpus = 0
    c_cpus(1:size(cpus)) = int(cpus, c_size_t)
    code = sr_orchestrator_options_set_cpus_c(self%options_ptr, c_cpus, int(size(cpus), c_size_t))
  end function set_cpus

  !> Working directory (logs, state file, RDB/AOF).
  function set_dir(self, value) result(code)
    class(orchestrator_options_type), intent(in) :: self
    character(len=*),                 intent(in) :: value
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_dir_c(self%options_ptr, trim(value), len_trim(value, kind=c_size_t))
  end function set_dir

  !> Binds this IPv4 address (default 127.0.0.1).
  function set_bind_address(self, value) result(code)
    class(orchestrator_options_type), intent(in) :: self
    character(len=*),                 intent(in) :: value
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_bind_address_c(self%options_ptr, &
                                                      trim(value), len_trim(value, kind=c_size_t))
  end function set_bind_address

  !> Binds the IPv4 address of this network interface (lo, eth0, ib0, ...).
  function set_interface(self, value) result(code)
    class(orchestrator_options_type), intent(in) :: self
    character(len=*),                 intent(in) :: value
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_interface_c(self%options_ptr, trim(value), len_trim(value, kind=c_size_t))
  end function set_interface

  !> Path of redis-server (default: REDIS_PATH, then PATH).
  function set_redis_server(self, value) result(code)
    class(orchestrator_options_type), intent(in) :: self
    character(len=*),                 intent(in) :: value
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_redis_server_c(self%options_ptr, &
                                                      trim(value), len_trim(value, kind=c_size_t))
  end function set_redis_server

  !> Path of the module library (implies loading it).
  function set_module_path(self, value) result(code)
    class(orchestrator_options_type), intent(in) :: self
    character(len=*),                 intent(in) :: value
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_module_path_c(self%options_ptr, trim(value), len_trim(value, kind=c_size_t))
  end function set_module_path

  !> Module BACKENDSPATH.
  function set_backends_path(self, value) result(code)
    class(orchestrator_options_type), intent(in) :: self
    character(len=*),                 intent(in) :: value
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_backends_path_c(self%options_ptr, &
                                                       trim(value), len_trim(value, kind=c_size_t))
  end function set_backends_path

  !> maxmemory of each shard ('1gb', ...).
  function set_maxmemory(self, value) result(code)
    class(orchestrator_options_type), intent(in) :: self
    character(len=*),                 intent(in) :: value
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_maxmemory_c(self%options_ptr, trim(value), len_trim(value, kind=c_size_t))
  end function set_maxmemory

  !> maxmemory-policy (noeviction, allkeys-lru, ...).
  function set_eviction_policy(self, value) result(code)
    class(orchestrator_options_type), intent(in) :: self
    character(len=*),                 intent(in) :: value
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_eviction_policy_c(self%options_ptr, &
                                                         trim(value), len_trim(value, kind=c_size_t))
  end function set_eviction_policy

  !> proto-max-bulk-len (default 2560mb).
  function set_proto_max_bulk_len(self, value) result(code)
    class(orchestrator_options_type), intent(in) :: self
    character(len=*),                 intent(in) :: value
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_proto_max_bulk_len_c(self%options_ptr, &
                                                            trim(value), len_trim(value, kind=c_size_t))
  end function set_proto_max_bulk_len

  !> Appends one argument to every shard's redis-server command line.
  function add_server_arg(self, value) result(code)
    class(orchestrator_options_type), intent(in) :: self
    character(len=*),                 intent(in) :: value
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_add_server_arg_c(self%options_ptr, trim(value), len_trim(value, kind=c_size_t))
  end function add_server_arg

  !> Database identifier: the environment names become SSDB_<id> / SR_DB_TYPE_<id>.
  function set_db_identifier(self, value) result(code)
    class(orchestrator_options_type), intent(in) :: self
    character(len=*),                 intent(in) :: value
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_db_identifier_c(self%options_ptr, &
                                                       trim(value), len_trim(value, kind=c_size_t))
  end function set_db_identifier

  !> The launcher: "local", "slurm", "pbs", "lsf", "cobalt" or "auto" (from the scheduler's job id).
  function set_launcher(self, value) result(code)
    class(orchestrator_options_type), intent(in) :: self
    character(len=*),                 intent(in) :: value
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_launcher_c(self%options_ptr, &
                                                  trim(value), len_trim(value, kind=c_size_t))
  end function set_launcher

  !> Scheduler launchers: nodes (0 = one shard per node), CPUs per shard (0 = default), and for a separate store
  !! job its walltime, account and queue ("" = not given); batch asks for a separate job inside an allocation.
  function set_scheduler(self, nodes, cpus_per_shard, walltime, account, queue, batch) result(code)
    class(orchestrator_options_type), intent(in) :: self
    integer,                          intent(in) :: nodes
    integer,                          intent(in) :: cpus_per_shard
    character(len=*),                 intent(in) :: walltime
    character(len=*),                 intent(in) :: account
    character(len=*),                 intent(in) :: queue
    logical,                          intent(in) :: batch
    integer(kind=enum_kind)                      :: code

    code = sr_orchestrator_options_set_scheduler_c(self%options_ptr, int(nodes, c_size_t), &
             int(cpus_per_shard, c_int32_t), trim(walltime), len_trim(walltime, kind=c_size_t), &
             trim(account), len_trim(account, kind=c_size_t), trim(queue), len_trim(queue, kind=c_size_t), &
             logical(batch, kind=c_bool))
  end function set_scheduler

  !> The C handle, for passing to the C API.
  function options_get_c_pointer(self) result(ptr)
    class(orchestrator_options_type), intent(in) :: self
    type(c_ptr)                                  :: ptr

    ptr = self%options_ptr
  end function options_get_c_pointer

  !> Frees the C object if this variable owns it, and forgets the handle. Safe to call more than once.
  function options_destructor(self) result(code)
    class(orchestrator_options_type), intent(inout) :: self
    integer(kind=enum_kind)                         :: code

    code = SRNoError
    if (self%owner .and. c_associated(self%options_ptr)) code = sr_orchestrator_options_free_c(self%options_ptr)
    self%options_ptr = c_null_ptr
    self%owner = .false.
  end function options_destructor

  !> `lhs = rhs`: `lhs` frees what it owned and then shares `rhs`'s object without owning it.
  subroutine assign_options(lhs, rhs)
    class(orchestrator_options_type), intent(inout) :: lhs
    type(orchestrator_options_type),  intent(in)    :: rhs

    integer(kind=enum_kind) :: code

    code = lhs%destructor()
    lhs%options_ptr = rhs%options_ptr
  end subroutine assign_options

  !> Frees the C object when the variable goes away.
  subroutine finalize_options(self)
    type(orchestrator_options_type), intent(inout) :: self

    integer(kind=enum_kind) :: code

    code = self%destructor()
  end subroutine finalize_options

  ! ---- orchestrator_type ----

  !> Makes an orchestrator from a copy of `options` (which may be freed right after); nothing starts until
  !! `start`. Frees what this variable owned before.
  function initialize_orchestrator(self, options) result(code)
    class(orchestrator_type),        intent(inout) :: self
    type(orchestrator_options_type), intent(in)    :: options
    integer(kind=enum_kind)                        :: code

    code = self%destructor()
    code = sr_orchestrator_new_c(options%options_ptr, self%orchestrator_ptr)
    self%owner = code == SRNoError
  end function initialize_orchestrator

  !> Attaches to the store recorded in working directory `dir` (started by any process); finalizing this
  !! variable does not stop it (call `stop` for that).
  function attach(self, dir) result(code)
    class(orchestrator_type), intent(inout) :: self
    character(len=*),         intent(in)    :: dir
    integer(kind=enum_kind)                 :: code

    code = self%destructor()
    code = sr_orchestrator_attach_c(trim(dir), len_trim(dir, kind=c_size_t), self%orchestrator_ptr)
    self%owner = code == SRNoError
  end function attach

  !> Starts the shards; returns once the store is usable (or the start timeout has passed).
  function start(self) result(code)
    class(orchestrator_type), intent(in) :: self
    integer(kind=enum_kind)              :: code

    code = sr_orchestrator_start_c(self%orchestrator_ptr)
  end function start

  !> The SSDB value (host:port[,host:port...]).
  function address(self, ssdb) result(code)
    class(orchestrator_type),      intent(in)  :: self
    character(len=:), allocatable, intent(out) :: ssdb
    integer(kind=enum_kind)                    :: code

    type(c_ptr)            :: text
    integer(kind=c_size_t) :: length

    code = sr_orchestrator_address_c(self%orchestrator_ptr, text, length)
    ssdb = handed_text(code, text, length)
  end function address

  !> The file holding the store's password (for SR_PASSWORD_FILE), or '' when the store needs none.
  function password_file(self, path) result(code)
    class(orchestrator_type),      intent(in)  :: self
    character(len=:), allocatable, intent(out) :: path
    integer(kind=enum_kind)                    :: code

    type(c_ptr)            :: text
    integer(kind=c_size_t) :: length

    code = sr_orchestrator_password_file_c(self%orchestrator_ptr, text, length)
    path = handed_text(code, text, length)
  end function password_file

  !> The CA certificate clients verify the store against (for SR_TLS_CA_FILE), or '' without TLS.
  function tls_ca_file(self, path) result(code)
    class(orchestrator_type),      intent(in)  :: self
    character(len=:), allocatable, intent(out) :: path
    integer(kind=enum_kind)                    :: code

    type(c_ptr)            :: text
    integer(kind=c_size_t) :: length

    code = sr_orchestrator_tls_ca_file_c(self%orchestrator_ptr, text, length)
    path = handed_text(code, text, length)
  end function tls_ca_file

  !> The text a call handed out (`length` bytes at `text`, owned by the handle), or '' when it failed or gave none.
  function handed_text(code, text, length) result(str)
    integer(kind=enum_kind), intent(in) :: code
    type(c_ptr),             intent(in) :: text
    integer(kind=c_size_t),  intent(in) :: length
    character(len=:), allocatable       :: str

    if (code == SRNoError .and. length > 0) then
      str = c_buffer_to_fortran(text, length)
    else
      str = ''
    end if
  end function handed_text

  !> SRDbStandalone or SRDbClustered.
  function db_type(self, dbtype) result(code)
    class(orchestrator_type), intent(in)    :: self
    integer(kind=enum_kind),  intent(inout) :: dbtype
    integer(kind=enum_kind)                 :: code

    integer(kind=enum_kind) :: value

    code = sr_orchestrator_db_type_c(self%orchestrator_ptr, value)
    if (code == SRNoError) dbtype = value
  end function db_type

  !> Whether every shard runs and answers.
  function is_active(self, active) result(code)
    class(orchestrator_type), intent(in)    :: self
    logical,                  intent(inout) :: active
    integer(kind=enum_kind)                 :: code

    logical(kind=c_bool) :: value

    code = sr_orchestrator_is_active_c(self%orchestrator_ptr, value)
    if (code == SRNoError) active = value
  end function is_active

  !> The state of each shard (SRShardRunning, SRShardUnresponsive, SRShardExited).
  function status(self, states) result(code)
    class(orchestrator_type),             intent(in)  :: self
    integer(kind=enum_kind), allocatable, intent(out) :: states(:)
    integer(kind=enum_kind)                           :: code

    integer(kind=enum_kind), allocatable :: buffer(:)
    integer(kind=enum_kind)              :: none(1)
    integer(kind=c_size_t)               :: n

    allocate(states(0))
    ! A first call with no room for states asks for the number of shards.
    code = sr_orchestrator_status_c(self%orchestrator_ptr, none, 0_c_size_t, n)
    if (code /= SRNoError .or. n == 0) return
    allocate(buffer(n))
    buffer = SRShardExited
    code = sr_orchestrator_status_c(self%orchestrator_ptr, buffer, size(buffer, kind=c_size_t), n)
    if (code == SRNoError) states = buffer(1:min(n, size(buffer, kind=c_size_t)))
  end function status

  !> CONFIG SET `name` `value` on every shard.
  function config_set(self, name, value) result(code)
    class(orchestrator_type), intent(in) :: self
    character(len=*),         intent(in) :: name, value
    integer(kind=enum_kind)              :: code

    code = sr_orchestrator_config_set_c(self%orchestrator_ptr, trim(name), len_trim(name, kind=c_size_t), &
                                        trim(value), len_trim(value, kind=c_size_t))
  end function config_set

  !> Stops every shard (SHUTDOWN, then SIGTERM/SIGKILL, bounded) and removes the state file.
  function stop(self) result(code)
    class(orchestrator_type), intent(in) :: self
    integer(kind=enum_kind)              :: code

    code = sr_orchestrator_stop_c(self%orchestrator_ptr)
  end function stop

  !> Leaves the store running when this variable is finalized (to be stopped later, e.g. by `smartredis stop`).
  function detach(self) result(code)
    class(orchestrator_type), intent(in) :: self
    integer(kind=enum_kind)              :: code

    code = sr_orchestrator_detach_c(self%orchestrator_ptr)
  end function detach

  !> The C handle, for passing to the C API (sr_orchestrator_*).
  function get_c_pointer(self) result(ptr)
    class(orchestrator_type), intent(in) :: self
    type(c_ptr)                          :: ptr

    ptr = self%orchestrator_ptr
  end function get_c_pointer

  !> Frees the handle if this variable owns it (stopping a store it started and did not detach). Safe to call
  !! more than once.
  function destructor(self) result(code)
    class(orchestrator_type), intent(inout) :: self
    integer(kind=enum_kind)                 :: code

    code = SRNoError
    if (self%owner .and. c_associated(self%orchestrator_ptr)) code = sr_orchestrator_free_c(self%orchestrator_ptr)
    self%orchestrator_ptr = c_null_ptr
    self%owner = .false.
  end function destructor

  !> `lhs = rhs`: `lhs` frees what it owned and then shares `rhs`'s handle without owning it.
  subroutine assign_orchestrator(lhs, rhs)
    class(orchestrator_type), intent(inout) :: lhs
    type(orchestrator_type),  intent(in)    :: rhs

    integer(kind=enum_kind) :: code

    code = lhs%destructor()
    lhs%orchestrator_ptr = rhs%orchestrator_ptr
  end subroutine assign_orchestrator

  !> Frees the handle when the variable goes away.
  subroutine finalize_orchestrator(self)
    type(orchestrator_type), intent(inout) :: self

    integer(kind=enum_kind) :: code

    code = self%destructor()
  end subroutine finalize_orchestrator

end module smartredis_orchestrator
