!> Consumer test (Fortran): stores and reads back a small 2-D array through client_type.
program consumer_fortran
  use iso_c_binding, only : c_double
  use smartredis_client, only : client_type
  use smartredis_configoptions, only : configoptions_type
  use smartredis_errors, only : print_last_error
  implicit none
#include "enum_fortran.inc"
  type(configoptions_type) :: cfg
  type(client_type) :: client
  real(kind=c_double) :: send(2,3), recv(2,3)

  send = reshape([1, 2, 3, 4, 5, 6], [2, 3])
  if (cfg%create_configoptions_from_environment("") /= SRNoError) call fail()
  if (client%initialize(cfg, "consumer_fortran") /= SRNoError) call fail()
  if (client%put_tensor("consumer_fortran", send, shape(send)) /= SRNoError) call fail()
  if (client%unpack_tensor("consumer_fortran", recv, shape(recv)) /= SRNoError) call fail()
  if (any(recv /= send)) error stop "consumer_fortran: data differs"
contains
  subroutine fail()
    call print_last_error()
    error stop 1
  end subroutine fail
end program consumer_fortran
