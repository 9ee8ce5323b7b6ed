!> smartredis_client: a client of the feature store, over c_client.h.
!!
!! Every name is trimmed (trailing blanks are never significant). Arrays are passed to C in place, with their
!! Fortran shape and the column-major layout c_fortran_contiguous: the library transposes them to and from the
!! row-major tensors in the store, so element A(i,j,k) is tensor element [i-1][j-1][k-1]. A non-contiguous
!! actual argument (an array section) is copied into a contiguous temporary by the compiler.
module smartredis_client

  use iso_c_binding, only : c_ptr, c_null_ptr, c_char, c_size_t, c_int, c_bool, c_associated, c_loc, c_f_pointer, &
                            c_int8_t, c_int16_t, c_int32_t, c_int64_t, c_float, c_double
  use iso_fortran_env, only : stderr => error_unit
  use fortran_c_interop, only : enum_kind, c_string_to_fortran
  use fortran_c_interop, only : c_buffer_to_fortran
  use smartredis_configoptions, only : configoptions_type
  use smartredis_orchestrator, only : orchestrator_type
  use smartredis_dataset, only : dataset_type

  implicit none
  private

#include "enum_fortran.inc"

  public :: enum_kind

  !> A client of the feature store. The connection is closed when the variable is finalized or `destructor`
  !! is called; a copy made by assignment shares the connection without owning it.
  type, public :: client_type
    private
    type(c_ptr) :: client_ptr = c_null_ptr !< the C handle
    logical     :: is_initialized = .false. !< whether initialize succeeded
    logical     :: owner = .false.          !< whether this variable closes the connection
  contains
    generic :: initialize => initialize_client_simple, initialize_client_cfgopts, initialize_client_deprecated, &
                             initialize_client_orchestrator
    procedure :: isinitialized
    procedure :: destructor
    procedure :: get_c_pointer
    procedure :: SR_error_parser
    procedure :: to_string
    procedure :: print_client

    procedure :: key_exists
    procedure :: tensor_exists
    procedure :: poll_key
    procedure :: poll_tensor

    generic :: put_tensor => put_tensor_i8, put_tensor_i16, put_tensor_i32, put_tensor_i64, &
                             put_tensor_float, put_tensor_double
    generic :: unpack_tensor => unpack_tensor_i8, unpack_tensor_i16, unpack_tensor_i32, unpack_tensor_i64, &
                                unpack_tensor_float, unpack_tensor_double
    procedure :: rename_tensor
    procedure :: delete_tensor
    procedure :: copy_tensor

    ! Datasets and aggregation lists (client_dataset_methods.inc).
    procedure :: put_dataset
    procedure :: get_dataset
    procedure :: rename_dataset
    procedure :: copy_dataset
    procedure :: delete_dataset
    procedure :: dataset_exists
    procedure :: poll_dataset
    procedure :: append_to_list
    procedure :: delete_list
    procedure :: copy_list
    procedure :: rename_list
    procedure :: get_list_length
    procedure :: poll_list_length
    procedure :: poll_list_length_gte
    procedure :: poll_list_length_lte
    procedure :: get_datasets_from_list
    procedure :: get_datasets_from_list_range
    procedure :: get_dataset_list_range => get_datasets_from_list_range

    ! Admin and info calls (client_admin_methods.inc).
    procedure :: flush_db
    procedure :: config_get
    procedure :: config_set
    procedure :: save
    procedure :: get_db_node_info
    procedure :: get_db_cluster_info
    procedure :: get_ai_info

    procedure :: set_data_source
    procedure :: use_tensor_ensemble_prefix
    procedure :: use_dataset_ensemble_prefix
    procedure :: use_model_ensemble_prefix
    procedure :: use_list_ensemble_prefix

    ! Models and scripts (client_model_methods.inc).
    procedure :: set_model
    procedure :: set_model_from_file
    procedure :: set_model_multigpu
    procedure :: set_model_from_file_multigpu
    procedure :: get_model
    procedure :: set_script
    procedure :: set_script_from_file
    procedure :: set_script_multigpu
    procedure :: set_script_from_file_multigpu
    procedure :: get_script
    procedure :: run_model
    procedure :: run_model_multigpu
    procedure :: run_script
    procedure :: run_script_multigpu
    procedure :: delete_model
    procedure :: delete_model_multigpu
    procedure :: delete_script
    procedure :: delete_script_multigpu
    procedure :: model_exists
    procedure :: poll_model
    procedure :: set_model_chunk_size

    procedure, private :: initialize_client_simple
    procedure, private :: initialize_client_cfgopts
    procedure, private :: initialize_client_deprecated
    procedure, private :: initialize_client_orchestrator
    procedure, private :: put_tensor_i8, put_tensor_i16, put_tensor_i32, put_tensor_i64
    procedure, private :: put_tensor_float, put_tensor_double
    procedure, private :: unpack_tensor_i8, unpack_tensor_i16, unpack_tensor_i32, unpack_tensor_i64
    procedure, private :: unpack_tensor_float, unpack_tensor_double
    procedure, private :: assign_client
    generic :: assignment(=) => assign_client
    final :: finalize_client
  end type client_type

#include "c_interfaces.inc"

contains

  !> Connects using the environment (SSDB, SR_DB_TYPE, ...); logs as `logger_name` (default 'default').
  function initialize_client_simple(self, logger_name) result(code)
    class(client_type),         intent(inout) :: self
    character(len=*), optional, intent(in)    :: logger_name
    integer(kind=enum_kind)                   :: code

    code = self%destructor()
    if (present(logger_name)) then
      code = SimpleCreateClient_c(trim(logger_name), len_trim(logger_name, kind=c_size_t), self%client_ptr)
    else
      code = SimpleCreateClient_c('default', 7_c_size_t, self%client_ptr)
    end if
    self%is_initialized = code == SRNoError
    self%owner = self%is_initialized
  end function initialize_client_simple

  !> Connects using `cfgopts` (which stays owned by the caller); logs as `logger_name` (default 'default').
  function initialize_client_cfgopts(self, cfgopts, logger_name) result(code)
    class(client_type),         intent(inout) :: self
    type(configoptions_type),   intent(in)    :: cfgopts
    character(len=*), optional, intent(in)    :: logger_name
    integer(kind=enum_kind)                   :: code

    code = self%destructor()
    if (present(logger_name)) then
      code = CreateClient_c(cfgopts%get_c_pointer(), trim(logger_name), len_trim(logger_name, kind=c_size_t), &
                            self%client_ptr)
    else
      code = CreateClient_c(cfgopts%get_c_pointer(), 'default', 7_c_size_t, self%client_ptr)
    end if
    self%is_initialized = code == SRNoError
    self%owner = self%is_initialized
  end function initialize_client_cfgopts

  !> Deprecated: connects to a cluster (`cluster` true) or a standalone server, ignoring SR_DB_TYPE.
  function initialize_client_deprecated(self, cluster, logger_name) result(code)
    class(client_type),         intent(inout) :: self
    logical,                    intent(in)    :: cluster
    character(len=*), optional, intent(in)    :: logger_name
    integer(kind=enum_kind)                   :: code

    code = self%destructor()
    if (present(logger_name)) then
      code = SmartRedisCClient_c(logical(cluster, kind=c_bool), trim(logger_name), &
                                 len_trim(logger_name, kind=c_size_t), self%client_ptr)
    else
      code = SmartRedisCClient_c(logical(cluster, kind=c_bool), 'default', 7_c_size_t, self%client_ptr)
    end if
    self%is_initialized = code == SRNoError
    self%owner = self%is_initialized
  end function initialize_client_deprecated

  !> Connects to the store of `orchestrator` (its SSDB and SR_DB_TYPE, other settings from the environment); logs
  !! as `logger_name` (default 'default'). Not part of upstream SmartRedis.
  function initialize_client_orchestrator(self, orchestrator, logger_name) result(code)
    class(client_type),         intent(inout) :: self
    type(orchestrator_type),    intent(in)    :: orchestrator
    character(len=*), optional, intent(in)    :: logger_name
    integer(kind=enum_kind)                   :: code

    code = self%destructor()
    if (present(logger_name)) then
      code = sr_orchestrator_create_client_c(orchestrator%get_c_pointer(), trim(logger_name), &
                                             len_trim(logger_name, kind=c_size_t), self%client_ptr)
    else
      code = sr_orchestrator_create_client_c(orchestrator%get_c_pointer(), 'default', 7_c_size_t, self%client_ptr)
    end if
    self%is_initialized = code == SRNoError
    self%owner = self%is_initialized
  end function initialize_client_orchestrator

  !> Whether initialize succeeded (and destructor has not been called since).
  logical function isinitialized(self)
    class(client_type), intent(in) :: self

    isinitialized = self%is_initialized
  end function isinitialized

  !> Closes the connection if this variable owns it. Safe to call more than once.
  function destructor(self) result(code)
    class(client_type), intent(inout) :: self
    integer(kind=enum_kind)           :: code

    code = SRNoError
    if (self%owner .and. c_associated(self%client_ptr)) code = DeleteCClient_c(self%client_ptr)
    self%client_ptr = c_null_ptr
    self%is_initialized = .false.
    self%owner = .false.
  end function destructor

  !> The C handle, for passing to the C API.
  function get_c_pointer(self) result(ptr)
    class(client_type), intent(in) :: self
    type(c_ptr)                    :: ptr

    ptr = self%client_ptr
  end function get_c_pointer

  !> Whether `response_code` is an error (or the client is not initialized); if so, describes it on stderr.
  logical function SR_error_parser(self, response_code)
    class(client_type),      intent(in) :: self
    integer(kind=enum_kind), intent(in) :: response_code

    SR_error_parser = .true.
    if (.not. self%is_initialized) then
      write(stderr, '(A)') "SmartRedis client is not initialized"
      return
    end if
    select case (response_code)
    case (SRNoError)
      SR_error_parser = .false.
    case (SRBadAllocError)
      write(stderr, '(A)') "Memory allocation error"
    case (SRDatabaseError)
      write(stderr, '(A)') "Backend database error"
    case (SRInternalError)
      write(stderr, '(A)') "Internal SmartRedis error"
    case (SRRuntimeError)
      write(stderr, '(A)') "Runtime error executing an operation"
    case (SRParameterError)
      write(stderr, '(A)') "Bad parameter error"
    case (SRTimeoutError)
      write(stderr, '(A)') "Timeout error"
    case (SRKeyError)
      write(stderr, '(A)') "Key error"
    case (SRTypeError)
      write(stderr, '(A)') "Type mismatch error"
    case default
      write(stderr, '(A)') "Invalid or uninitialized response code"
    end select
  end function SR_error_parser

  !> A description of the client, starting with "Client (<logger name>):".
  function to_string(self) result(text)
    class(client_type), intent(in)              :: self
    character(kind=c_char, len=:), allocatable :: text

    text = c_string_to_fortran(client_to_string_c(self%client_ptr))
  end function to_string

  !> Writes to_string() to `unit` (default: standard error).
  subroutine print_client(self, unit)
    class(client_type), intent(in) :: self
    integer, optional,  intent(in) :: unit

    integer :: out

    out = stderr
    if (present(unit)) out = unit
    write(out, '(A)') self%to_string()
  end subroutine print_client

  !> Whether `key` exists (no prefix is applied).
  function key_exists(self, key, exists) result(code)
    class(client_type), intent(in)  :: self
    character(len=*),   intent(in)  :: key
    logical,            intent(out) :: exists
    integer(kind=enum_kind)         :: code

    logical(kind=c_bool) :: c_exists

    c_exists = .false.
    code = key_exists_c(self%client_ptr, trim(key), len_trim(key, kind=c_size_t), c_exists)
    exists = c_exists
  end function key_exists

  !> Whether tensor `name` exists (with the tensor prefix applied).
  function tensor_exists(self, name, exists) result(code)
    class(client_type), intent(in)  :: self
    character(len=*),   intent(in)  :: name
    logical,            intent(out) :: exists
    integer(kind=enum_kind)         :: code

    logical(kind=c_bool) :: c_exists

    c_exists = .false.
    code = tensor_exists_c(self%client_ptr, trim(name), len_trim(name, kind=c_size_t), c_exists)
    exists = c_exists
  end function tensor_exists

  !> Checks `key` up to `num_tries` times, `poll_frequency_ms` apart; `exists` tells whether it appeared.
  function poll_key(self, key, poll_frequency_ms, num_tries, exists) result(code)
    class(client_type), intent(in)  :: self
    character(len=*),   intent(in)  :: key
    integer,            intent(in)  :: poll_frequency_ms
    integer,            intent(in)  :: num_tries
    logical,            intent(out) :: exists
    integer(kind=enum_kind)         :: code

    logical(kind=c_bool) :: c_exists

    c_exists = .false.
    code = poll_key_c(self%client_ptr, trim(key), len_trim(key, kind=c_size_t), int(poll_frequency_ms, c_int), &
                      int(num_tries, c_int), c_exists)
    exists = c_exists
  end function poll_key

  !> Checks tensor `name` up to `num_tries` times, `poll_frequency_ms` apart; `exists` tells whether it appeared.
  function poll_tensor(self, name, poll_frequency_ms, num_tries, exists) result(code)
    class(client_type), intent(in)  :: self
    character(len=*),   intent(in)  :: name
    integer,            intent(in)  :: poll_frequency_ms
    integer,            intent(in)  :: num_tries
    logical,            intent(out) :: exists
    integer(kind=enum_kind)         :: code

    logical(kind=c_bool) :: c_exists

    c_exists = .false.
    code = poll_tensor_c(self%client_ptr, trim(name), len_trim(name, kind=c_size_t), &
                         int(poll_frequency_ms, c_int), int(num_tries, c_int), c_exists)
    exists = c_exists
  end function poll_tensor

#include "client_tensor_methods.inc"

#include "client_model_methods.inc"

  !> Renames tensor `old_name` to `new_name`.
  function rename_tensor(self, old_name, new_name) result(code)
    class(client_type), intent(in) :: self
    character(len=*),   intent(in) :: old_name
    character(len=*),   intent(in) :: new_name
    integer(kind=enum_kind)        :: code

    code = rename_tensor_c(self%client_ptr, trim(old_name), len_trim(old_name, kind=c_size_t), &
                           trim(new_name), len_trim(new_name, kind=c_size_t))
  end function rename_tensor

  !> Deletes tensor `name`.
  function delete_tensor(self, name) result(code)
    class(client_type), intent(in) :: self
    character(len=*),   intent(in) :: name
    integer(kind=enum_kind)        :: code

    code = delete_tensor_c(self%client_ptr, trim(name), len_trim(name, kind=c_size_t))
  end function delete_tensor

  !> Copies tensor `src_name` to `dest_name`.
  function copy_tensor(self, src_name, dest_name) result(code)
    class(client_type), intent(in) :: self
    character(len=*),   intent(in) :: src_name
    character(len=*),   intent(in) :: dest_name
    integer(kind=enum_kind)        :: code

    code = copy_tensor_c(self%client_ptr, trim(src_name), len_trim(src_name, kind=c_size_t), &
                         trim(dest_name), len_trim(dest_name, kind=c_size_t))
  end function copy_tensor

#include "client_dataset_methods.inc"

#include "client_admin_methods.inc"

  !> Reads keys with the prefix of `source_id` (one of the SSKEYIN entries).
  function set_data_source(self, source_id) result(code)
    class(client_type), intent(in) :: self
    character(len=*),   intent(in) :: source_id
    integer(kind=enum_kind)        :: code

    code = set_data_source_c(self%client_ptr, trim(source_id), len_trim(source_id, kind=c_size_t))
  end function set_data_source

  !> Whether tensor names get the ensemble prefix.
  function use_tensor_ensemble_prefix(self, use_prefix) result(code)
    class(client_type), intent(in) :: self
    logical,            intent(in) :: use_prefix
    integer(kind=enum_kind)        :: code

    code = use_tensor_ensemble_prefix_c(self%client_ptr, logical(use_prefix, kind=c_bool))
  end function use_tensor_ensemble_prefix

  !> Whether dataset names get the ensemble prefix.
  function use_dataset_ensemble_prefix(self, use_prefix) result(code)
    class(client_type), intent(in) :: self
    logical,            intent(in) :: use_prefix
    integer(kind=enum_kind)        :: code

    code = use_dataset_ensemble_prefix_c(self%client_ptr, logical(use_prefix, kind=c_bool))
  end function use_dataset_ensemble_prefix

  !> Whether model and script names get the ensemble prefix.
  function use_model_ensemble_prefix(self, use_prefix) result(code)
    class(client_type), intent(in) :: self
    logical,            intent(in) :: use_prefix
    integer(kind=enum_kind)        :: code

    code = use_model_ensemble_prefix_c(self%client_ptr, logical(use_prefix, kind=c_bool))
  end function use_model_ensemble_prefix

  !> Whether aggregation list names get the ensemble prefix.
  function use_list_ensemble_prefix(self, use_prefix) result(code)
    class(client_type), intent(in) :: self
    logical,            intent(in) :: use_prefix
    integer(kind=enum_kind)        :: code

    code = use_list_ensemble_prefix_c(self%client_ptr, logical(use_prefix, kind=c_bool))
  end function use_list_ensemble_prefix

  !> `lhs = rhs`: `lhs` closes what it owned and then shares `rhs`'s connection without owning it.
  subroutine assign_client(lhs, rhs)
    class(client_type), intent(inout) :: lhs
    type(client_type),  intent(in)    :: rhs

    integer(kind=enum_kind) :: code

    code = lhs%destructor()
    lhs%client_ptr = rhs%client_ptr
    lhs%is_initialized = rhs%is_initialized
  end subroutine assign_client

  !> Closes the connection when the variable goes away.
  subroutine finalize_client(self)
    type(client_type), intent(inout) :: self

    integer(kind=enum_kind) :: code

    code = self%destructor()
  end subroutine finalize_client

end module smartredis_client
