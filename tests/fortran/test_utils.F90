!> test_utils: helpers for the Fortran test programs (environment variables, checks that stop on failure).
module test_utils

  use iso_c_binding, only : c_char, c_int, c_null_char
  use iso_fortran_env, only : stderr => error_unit

  implicit none
  private

  public :: setenv, unsetenv, check, check_code, argument, read_bytes

  interface
    function c_setenv(name, value, overwrite) result(rc) bind(c, name="setenv")
      import :: c_char, c_int
      character(kind=c_char), intent(in)     :: name(*)
      character(kind=c_char), intent(in)     :: value(*)
      integer(kind=c_int), value, intent(in) :: overwrite
      integer(kind=c_int)                    :: rc
    end function c_setenv

    function c_unsetenv(name) result(rc) bind(c, name="unsetenv")
      import :: c_char, c_int
      character(kind=c_char), intent(in) :: name(*)
      integer(kind=c_int)                :: rc
    end function c_unsetenv
  end interface

contains

  !> Sets environment variable `name` to `value`.
  subroutine setenv(name, value)
    character(len=*), intent(in) :: name, value
    call check(c_setenv(trim(name)//c_null_char, trim(value)//c_null_char, 1_c_int) == 0, "setenv "//name)
  end subroutine setenv

  !> Removes environment variable `name`.
  subroutine unsetenv(name)
    character(len=*), intent(in) :: name
    call check(c_unsetenv(trim(name)//c_null_char) == 0, "unsetenv "//name)
  end subroutine unsetenv

  !> Stops the program with `what` unless `ok`.
  subroutine check(ok, what)
    logical,          intent(in) :: ok
    character(len=*), intent(in) :: what
    if (.not. ok) then
      write(stderr, '(A)') "check failed: "//what
      error stop 1
    end if
  end subroutine check

  !> Command-line argument `n`; stops with "usage: `usage`" when it is missing or empty.
  function argument(n, usage) result(arg)
    integer,          intent(in)  :: n
    character(len=*), intent(in)  :: usage
    character(len=:), allocatable :: arg
    integer :: length
    call get_command_argument(n, length=length)
    call check(length > 0, "usage: "//usage)
    allocate(character(len=length) :: arg)
    call get_command_argument(n, arg)
  end function argument

  !> The bytes of the file `path`.
  function read_bytes(path) result(bytes)
    character(len=*), intent(in)  :: path
    character(len=:), allocatable :: bytes
    integer :: unit, length
    inquire(file=path, size=length)
    call check(length >= 0, "cannot read "//path)
    allocate(character(len=length) :: bytes)
    open(newunit=unit, file=path, access='stream', form='unformatted', status='old', action='read')
    read(unit) bytes
    close(unit)
  end function read_bytes

  !> Stops the program with `what` and the last SmartRedis error unless `code` is `expected` (SRNoError = 0).
  subroutine check_code(code, what, expected)
    integer,           intent(in) :: code
    character(len=*),  intent(in) :: what
    integer, optional, intent(in) :: expected
    integer :: want
    want = 0
    if (present(expected)) want = expected
    if (code /= want) then
      write(stderr, '(A,I0,A,I0)') "check failed: "//what//": code ", code, ", expected ", want
      call print_error()
      error stop 1
    end if
  end subroutine check_code

  !> Prints the last SmartRedis error (without depending on smartredis_errors, which is tested separately).
  subroutine print_error()
    use smartredis_errors, only : print_last_error
    call print_last_error()
  end subroutine print_error

end module test_utils
