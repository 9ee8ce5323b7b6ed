!> smartredis_errors: the text of the last SmartRedis error of the calling thread.
module smartredis_errors

  use iso_fortran_env, only : stderr => error_unit
  use fortran_c_interop, only : c_string_to_fortran

  implicit none
  private

  public :: get_last_error, print_last_error

#include "c_interfaces.inc"

contains

  !> The last error message, a newline, and where it was raised.
  function get_last_error() result(text)
    character(len=:), allocatable :: text

    text = c_string_to_fortran(SRGetLastError_c()) // new_line('a') // &
           c_string_to_fortran(SRGetLastErrorLocation_c())
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
