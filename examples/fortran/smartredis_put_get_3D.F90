!> Serial Fortran example: store a 3-D array of doubles and read it back into another array.
!! Connection settings come from SSDB and SR_DB_TYPE.
program smartredis_put_get_3D

  use iso_c_binding, only : c_double
  use smartredis_client, only : client_type
  use smartredis_errors, only : print_last_error

  implicit none

#include "enum_fortran.inc"

  integer, parameter :: dim1 = 10, dim2 = 20, dim3 = 30
  real(kind=c_double), dimension(dim1, dim2, dim3) :: send, recv
  type(client_type) :: client
  integer :: code

  call random_number(send)

  code = client%initialize("smartredis_put_get_3D_f")
  if (code /= SRNoError) call fail()
  code = client%put_tensor("example_fortran_tensor", send, shape(send))
  if (code /= SRNoError) call fail()
  code = client%unpack_tensor("example_fortran_tensor", recv, shape(recv))
  if (code /= SRNoError) call fail()

  if (any(recv /= send)) error stop "the tensor read back differs"
  write(*, '(A)') "Fortran example: stored and read back a 10x20x30 array"

contains

  subroutine fail()
    call print_last_error()
    error stop 1
  end subroutine fail

end program smartredis_put_get_3D
