!> The admin calls of client_type against a live store (standalone and 3-shard cluster), on every node of SSDB:
!! get_db_node_info, get_db_cluster_info, get_ai_info, config_get, config_set, save, flush_db, and their errors.
program client_test_admin

  use iso_c_binding
  use smartredis_client, only : client_type
  use smartredis_errors, only : get_last_error
  use test_utils, only : check, check_code

  implicit none

#include "enum_fortran.inc"

  type(client_type) :: client
  character(len=1024) :: ssdb, db_type
  character(len=256), dimension(16) :: addresses
  character(len=256) :: address
  character(len=512), dimension(:), allocatable :: sections, keys, values
  character(len=16) :: name
  integer :: n_addresses, start, comma, i, j
  logical :: cluster, exists, found

  call get_environment_variable("SSDB", ssdb)
  call get_environment_variable("SR_DB_TYPE", db_type)
  cluster = trim(db_type) == "Clustered"
  n_addresses = 0
  start = 1
  do
    comma = index(ssdb(start:), ",")
    n_addresses = n_addresses + 1
    if (comma == 0) then
      addresses(n_addresses) = ssdb(start:)
      exit
    end if
    addresses(n_addresses) = ssdb(start:start + comma - 2)
    start = start + comma
  end do
  do i = 1, n_addresses
    if (addresses(i)(1:6) == "tcp://") addresses(i) = addresses(i)(7:)
  end do

  call check_code(client%initialize("client_test_admin"), "initialize")
  do i = 1, n_addresses
    address = addresses(i)
    call check_code(client%get_db_node_info(trim(address), sections, keys, values), "get_db_node_info "//trim(address))
    call check(size(sections) == size(keys) .and. size(keys) == size(values) .and. size(keys) > 20, &
               "node info entries")
    found = .false.
    do j = 1, size(keys)
      if (sections(j) == "Server" .and. keys(j) == "redis_version") found = index(values(j), ".") > 0
    end do
    call check(found, "Server redis_version")

    if (cluster) then
      call check_code(client%get_db_cluster_info(trim(address), keys, values), "get_db_cluster_info")
      call check(value_of(keys, values, "cluster_state") == "ok", "cluster_state ok")
      call check(value_of(keys, values, "cluster_known_nodes") == "3", "three nodes")
    else
      call check_code(client%get_db_cluster_info(trim(address), keys, values), "cluster info standalone", &
                      SRRuntimeError)
      call check(index(get_last_error(), "non-cluster") > 0, "non-cluster message")
      call check(size(keys) == 0 .and. size(values) == 0, "no entries after an error")
    end if

    call check_code(client%config_set("maxmemory-policy", "allkeys-lru", trim(address)), "config_set")
    call check_code(client%config_get("maxmemory-policy", trim(address), keys, values), "config_get")
    call check(size(keys) == 1, "one parameter")
    call check(value_of(keys, values, "maxmemory-policy") == "allkeys-lru", "config value")
    call check_code(client%config_get("maxmemory*", trim(address), keys, values), "config_get pattern")
    call check(size(keys) >= 3 .and. any(keys == "maxmemory"), "config pattern")
    call check_code(client%config_get("no-such-parameter", trim(address), keys, values), "config_get unknown")
    call check(size(keys) == 0, "no entries for an unknown parameter")
    call check_code(client%config_set("no-such-parameter", "1", trim(address)), "config_set unknown", SRRuntimeError)
    call check_code(client%save(address), "save")
    call check_code(client%get_ai_info(trim(address), "no_model", .false., keys, values), "ai info of nothing", &
                    SRRuntimeError)
    call check(index(get_last_error(), "cannot find run info") > 0, "AI.INFO message")
  end do

  ! FLUSHDB on every node empties the store.
  do i = 1, 10
    write(name, '(A,I0)') "t", i
    call check_code(client%put_tensor(name, [real(i, c_double)], [1]), "put "//trim(name))
  end do
  do i = 1, n_addresses
    call check_code(client%flush_db(trim(addresses(i))), "flush_db")
  end do
  do i = 1, 10
    write(name, '(A,I0)') "t", i
    call check_code(client%tensor_exists(name, exists), "tensor_exists")
    call check(.not. exists, "flushed "//trim(name))
  end do

  call check_code(client%flush_db("127.0.0.1:1"), "flush a foreign node", SRRuntimeError)
  call check_code(client%flush_db(":00"), "flush a bad address", SRRuntimeError)
  call check_code(client%config_get("maxmemory", "127.0.0.1", keys, values), "config_get bad address", &
                  SRRuntimeError)
  call check_code(client%destructor(), "destructor")
  write(*, '(A)') "client_test_admin: OK"

contains

  !> values(i) for keys(i) == key ('' if missing).
  function value_of(keys, values, key) result(value)
    character(len=*), dimension(:), intent(in) :: keys, values
    character(len=*), intent(in)  :: key
    character(len=:), allocatable :: value

    integer :: k

    value = ''
    do k = 1, size(keys)
      if (keys(k) == key) value = trim(values(k))
    end do
  end function value_of

end program client_test_admin
