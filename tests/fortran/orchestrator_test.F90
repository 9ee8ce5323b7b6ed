!> The Fortran orchestrator wrapper: starts a store of N shards in DIR, puts and unpacks a tensor through a client
!! initialized from it, checks address, type, TLS CA (none), status and CONFIG SET, stops it, and checks error codes.
!! Usage: fortran_orchestrator <shards> <working dir>. The module is found next to libsmartredis.so.
program orchestrator_test

  use iso_c_binding, only : c_double, c_int64_t
  use smartredis_client, only : client_type
  use smartredis_orchestrator, only : orchestrator_options_type, orchestrator_type, SRDbStandalone, &
                                      SRDbClustered, SRShardRunning, enum_kind
  use test_utils, only : check, check_code

  implicit none

#include "enum_fortran.inc"

  type(orchestrator_options_type) :: opts, bad_opts
  type(orchestrator_type)         :: orc, rejected, missing
  type(client_type)               :: client
  character(len=512)              :: arg, dir
  character(len=:), allocatable   :: ssdb, ca
  integer(kind=enum_kind), allocatable :: states(:)
  integer(kind=enum_kind)         :: dbtype
  integer                         :: shards, i
  logical                         :: active, exists
  real(kind=c_double)             :: send(2,3), recv(2,3)

  call check(command_argument_count() == 2, "usage: fortran_orchestrator SHARDS DIR")
  call get_command_argument(1, arg)
  read(arg, *) shards
  call get_command_argument(2, dir)

  call check_code(opts%initialize(), "options initialize")
  call check_code(opts%set_shards(shards), "set_shards")
  call check_code(opts%set_dir(dir), "set_dir")
  call check_code(opts%set_module_threads(1), "set_module_threads")
  call check_code(opts%set_maxclients(5000), "set_maxclients")
  call check_code(opts%set_partial_coverage(.true.), "set_partial_coverage")
  call check_code(opts%set_maxmemory("1gb"), "set_maxmemory")
  call check_code(opts%set_eviction_policy("noeviction"), "set_eviction_policy")
  call check_code(opts%set_proto_max_bulk_len("2560mb"), "set_proto_max_bulk_len")
  call check_code(opts%set_timeouts(60000_c_int64_t, 0_c_int64_t), "set_timeouts")
  call check_code(opts%add_server_arg("--loglevel"), "add_server_arg")
  call check_code(opts%add_server_arg("notice"), "add_server_arg value")
  call check_code(opts%set_port(70000), "port out of range", SRParameterError)
  call check_code(orc%initialize(opts), "orchestrator initialize")
  call check_code(opts%destructor(), "options destructor")

  active = .true.
  call check_code(orc%is_active(active), "is_active before start")
  call check(.not. active, "not active before start")
  call check_code(orc%start(), "start")
  call check_code(orc%is_active(active), "is_active")
  call check(active, "active after start")
  call check_code(orc%address(ssdb), "address")
  write(*, '(A)') "SSDB="//ssdb
  call check(count([(ssdb(i:i) == ',', i = 1, len(ssdb))]) + 1 == shards, "one address per shard")
  call check_code(orc%tls_ca_file(ca), "tls_ca_file")
  call check(len(ca) == 0, "no TLS CA for a store without TLS")
  call check_code(orc%db_type(dbtype), "db_type")
  if (shards > 1) then
    call check(dbtype == SRDbClustered, "clustered")
  else
    call check(dbtype == SRDbStandalone, "standalone")
  end if
  call check_code(orc%status(states), "status")
  call check(size(states) == shards, "one state per shard")
  call check(all(states == SRShardRunning), "every shard running")
  call check_code(orc%config_set("maxclients", "2000"), "config_set")
  call check_code(orc%config_set("no-such-name", "1"), "config_set unknown name", SRDatabaseError)

  ! A client connected to it stores and returns a tensor.
  call check_code(client%initialize(orc, "orc-fortran"), "client initialize from orchestrator")
  call check(client%isinitialized(), "client initialized")
  send = reshape([1.0_c_double, 2.0_c_double, 3.0_c_double, 4.0_c_double, 5.0_c_double, 6.0_c_double], [2, 3])
  call check_code(client%put_tensor("orc_tensor", send, shape(send)), "put_tensor")
  call check_code(client%tensor_exists("orc_tensor", exists), "tensor_exists")
  call check(exists, "tensor exists")
  recv = 0
  call check_code(client%unpack_tensor("orc_tensor", recv, shape(recv)), "unpack_tensor")
  call check(all(recv == send), "tensor round trip")
  call check_code(client%destructor(), "client destructor")

  call check_code(orc%stop(), "stop")
  call check_code(orc%is_active(active), "is_active after stop")
  call check(.not. active, "not active after stop")
  call check_code(orc%destructor(), "orchestrator destructor")

  ! Errors are codes: bad options, uninitialized handles, no store recorded.
  call check_code(bad_opts%initialize(), "bad options initialize")
  call check_code(bad_opts%set_shards(0), "set_shards 0")
  call check_code(rejected%initialize(bad_opts), "0 shards rejected", SRParameterError)
  call check_code(rejected%start(), "start without handle", SRParameterError)
  call check_code(bad_opts%set_shards(3), "set_shards 3")
  call check_code(bad_opts%set_unix_socket("redis.sock"), "set_unix_socket")
  call check_code(rejected%initialize(bad_opts), "a socket on a cluster is rejected", SRParameterError)
  call check_code(missing%attach(trim(dir)//"/no-such-store"), "attach to nothing", SRRuntimeError)

  write(*, '(A,I0,A)') "fortran orchestrator (", shards, " shard(s)): OK"

end program orchestrator_test
