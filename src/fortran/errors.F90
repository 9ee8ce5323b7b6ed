!> smartredis_errors: the text of the last SmartRedis error of the calling thread.
module smartredis_errors

  use iso_c_binding,   only : c_ptr
  use iso_fortran_env, only : stderr => error_unit
  use fortran_c_interop, only : c_string_to_fortran

  implicit none
  private

  public :: get_last_error, print_last_error

  interface
    function c_get_last_error() bind(c, name="SRGetLastError")
      import :: c_ptr
      type(c_ptr) :: c_get_last_error
    end function c_get_last_error

    function c_get_last_error_location() bind(c, name="SRGetLastErrorLocation")
      import :: c_ptr
      type(c_ptr) :: c_get_last_error_location
    end function c_get_last_error_location
  end interface

contains

  !> The last error message, a newline, and where it was raised.
  function get_last_error() result(text)
    character(len=:), allocatable :: text

    text = c_string_to_fortran(c_get_last_error()) // new_line('a') // &
           c_string_to_fortran(c_get_last_error_location())
  end function get_last_error

  !> Writes the last error to `unit` (default: standard error).
  subroutine print_last_error(unit)
    integer, optional, intent(in) :: unit !< where to write

    integer :: out

    out = stderr
    if (present(unit)) out = unit
    write(out, '(A)') get_last_error()
  end subroutine print_last_error

end module smartredis_errors
