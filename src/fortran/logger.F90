!> smartredis_logger: the log_data, log_warning and log_error generics, over c_logger.h.
!! The context is a client_type, a logcontext_type or a context name (character). Logging never fails.
module smartredis_logger

  use iso_c_binding, only : c_ptr, c_size_t
  use fortran_c_interop, only : enum_kind
  use smartredis_client, only : client_type
  use smartredis_logcontext, only : logcontext_type

  implicit none
  private

  public :: enum_kind
  public :: log_data, log_warning, log_error

  !> Logs `data` at `level` under `context`.
  interface log_data
    module procedure log_data_client, log_data_logcontext, log_data_string
  end interface log_data
  !> Logs "WARNING: " // `data` at `level` under `context`.
  interface log_warning
    module procedure log_warning_client, log_warning_logcontext, log_warning_string
  end interface log_warning
  !> Logs "ERROR: " // `data` at `level` under `context`.
  interface log_error
    module procedure log_error_client, log_error_logcontext, log_error_string
  end interface log_error

  !> Which C entry point a log call goes to.
  integer, parameter :: KIND_DATA = 1, KIND_WARNING = 2, KIND_ERROR = 3

#include "c_interfaces.inc"

contains

  !> Sends one message logged against a C handle to the entry point for `which`.
  subroutine log_handle(which, context, level, data)
    integer,                 intent(in) :: which
    type(c_ptr),             intent(in) :: context
    integer(kind=enum_kind), intent(in) :: level
    character(len=*),        intent(in) :: data

    integer(kind=c_size_t) :: n

    n = len_trim(data, kind=c_size_t)
    select case (which)
    case (KIND_DATA)
      call log_data_noexcept_c(context, level, trim(data), n)
    case (KIND_WARNING)
      call log_warning_noexcept_c(context, level, trim(data), n)
    case default
      call log_error_noexcept_c(context, level, trim(data), n)
    end select
  end subroutine log_handle

  !> Sends one message logged against a context name to the entry point for `which`.
  subroutine log_string(which, context, level, data)
    integer,                 intent(in) :: which
    character(len=*),        intent(in) :: context
    integer(kind=enum_kind), intent(in) :: level
    character(len=*),        intent(in) :: data

    integer(kind=c_size_t) :: nc, nd

    nc = len_trim(context, kind=c_size_t)
    nd = len_trim(data, kind=c_size_t)
    select case (which)
    case (KIND_DATA)
      call log_data_noexcept_string_c(trim(context), nc, level, trim(data), nd)
    case (KIND_WARNING)
      call log_warning_noexcept_string_c(trim(context), nc, level, trim(data), nd)
    case default
      call log_error_noexcept_string_c(trim(context), nc, level, trim(data), nd)
    end select
  end subroutine log_string

  !> Logs `data` at `level` under the client's logger name.
  subroutine log_data_client(context, level, data)
    type(client_type),       intent(in) :: context
    integer(kind=enum_kind), intent(in) :: level
    character(len=*),        intent(in) :: data
    call log_handle(KIND_DATA, context%get_c_pointer(), level, data)
  end subroutine log_data_client

  !> Logs `data` at `level` under the log context's name.
  subroutine log_data_logcontext(context, level, data)
    type(logcontext_type),   intent(in) :: context
    integer(kind=enum_kind), intent(in) :: level
    character(len=*),        intent(in) :: data
    call log_handle(KIND_DATA, context%get_c_pointer(), level, data)
  end subroutine log_data_logcontext

  !> Logs `data` at `level` under the context name `context`.
  subroutine log_data_string(context, level, data)
    character(len=*),        intent(in) :: context
    integer(kind=enum_kind), intent(in) :: level
    character(len=*),        intent(in) :: data
    call log_string(KIND_DATA, context, level, data)
  end subroutine log_data_string

  !> Logs "WARNING: " // `data` at `level` under the client's logger name.
  subroutine log_warning_client(context, level, data)
    type(client_type),       intent(in) :: context
    integer(kind=enum_kind), intent(in) :: level
    character(len=*),        intent(in) :: data
    call log_handle(KIND_WARNING, context%get_c_pointer(), level, data)
  end subroutine log_warning_client

  !> Logs "WARNING: " // `data` at `level` under the log context's name.
  subroutine log_warning_logcontext(context, level, data)
    type(logcontext_type),   intent(in) :: context
    integer(kind=enum_kind), intent(in) :: level
    character(len=*),        intent(in) :: data
    call log_handle(KIND_WARNING, context%get_c_pointer(), level, data)
  end subroutine log_warning_logcontext

  !> Logs "WARNING: " // `data` at `level` under the context name `context`.
  subroutine log_warning_string(context, level, data)
    character(len=*),        intent(in) :: context
    integer(kind=enum_kind), intent(in) :: level
    character(len=*),        intent(in) :: data
    call log_string(KIND_WARNING, context, level, data)
  end subroutine log_warning_string

  !> Logs "ERROR: " // `data` at `level` under the client's logger name.
  subroutine log_error_client(context, level, data)
    type(client_type),       intent(in) :: context
    integer(kind=enum_kind), intent(in) :: level
    character(len=*),        intent(in) :: data
    call log_handle(KIND_ERROR, context%get_c_pointer(), level, data)
  end subroutine log_error_client

  !> Logs "ERROR: " // `data` at `level` under the log context's name.
  subroutine log_error_logcontext(context, level, data)
    type(logcontext_type),   intent(in) :: context
    integer(kind=enum_kind), intent(in) :: level
    character(len=*),        intent(in) :: data
    call log_handle(KIND_ERROR, context%get_c_pointer(), level, data)
  end subroutine log_error_logcontext

  !> Logs "ERROR: " // `data` at `level` under the context name `context`.
  subroutine log_error_string(context, level, data)
    character(len=*),        intent(in) :: context
    integer(kind=enum_kind), intent(in) :: level
    character(len=*),        intent(in) :: data
    call log_string(KIND_ERROR, context, level, data)
  end subroutine log_error_string

end module smartredis_logger
