!> fortran_c_interop: kinds and string helpers shared by the SmartRedis Fortran modules.
module fortran_c_interop

  use iso_c_binding, only : c_int, c_char, c_ptr, c_size_t, c_associated, c_f_pointer

  implicit none
  private

  !> Kind of every SmartRedis enumeration and result code (a C enum is a C int).
  integer, parameter, public :: enum_kind = c_int
  !> Longest string an array of names may hold when converted for C (upstream's limit).
  integer, parameter, public :: C_MAX_STRING = 255

  public :: c_string_to_fortran, c_buffer_to_fortran

  interface
    !> libc strlen, to measure the NUL-terminated strings the C API returns.
    function strlen_c(str) result(length) bind(c, name="strlen")
      import :: c_ptr, c_size_t
      type(c_ptr), value, intent(in) :: str
      integer(kind=c_size_t)         :: length
    end function strlen_c
  end interface

contains

  !> Copies a NUL-terminated C string into a Fortran string (empty for a NULL pointer).
  function c_string_to_fortran(cstr) result(fstr)
    type(c_ptr), intent(in)       :: cstr !< the C string, owned by the caller
    character(len=:), allocatable :: fstr

    if (.not. c_associated(cstr)) then
      fstr = ''
    else
      fstr = c_buffer_to_fortran(cstr, strlen_c(cstr))
    end if
  end function c_string_to_fortran

  !> Copies `length` characters at `buffer` (not NUL-terminated) into a Fortran string.
  function c_buffer_to_fortran(buffer, length) result(fstr)
    type(c_ptr),            intent(in) :: buffer !< the characters, owned by the caller
    integer(kind=c_size_t), intent(in) :: length !< how many
    character(len=:), allocatable      :: fstr

    character(kind=c_char), dimension(:), pointer :: chars
    integer :: i

    allocate(character(len=length) :: fstr)
    if (length == 0 .or. .not. c_associated(buffer)) return
    call c_f_pointer(buffer, chars, [length])
    do i = 1, int(length)
      fstr(i:i) = chars(i)
    end do
  end function c_buffer_to_fortran

end module fortran_c_interop
