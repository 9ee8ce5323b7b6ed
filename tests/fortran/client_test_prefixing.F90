!> Ensemble key prefixes through client_type: SSKEYOUT prefixes writes, SSKEYIN (chosen with set_data_source)
!! prefixes reads, use_tensor_ensemble_prefix(.false.) turns both off. Needs a server (SSDB).
program client_test_prefixing

  use iso_c_binding, only : c_double
  use smartredis_client, only : client_type
  use test_utils, only : setenv, check, check_code

  implicit none

#include "enum_fortran.inc"

  type(client_type)   :: client
  real(kind=c_double) :: v(2,2), out(2,2)
  logical :: exists

  call setenv("SSKEYOUT", "f_producer")
  call setenv("SSKEYIN", "f_producer,f_other")
  v = reshape([1, 2, 3, 4], [2, 2])

  call check_code(client%initialize("client_test_prefixing"), "initialize")
  call check_code(client%put_tensor("t", v, shape(v)), "put")
  call check_code(client%key_exists("f_producer.t", exists), "key_exists prefixed")
  call check(exists, "prefixed key exists")
  call check_code(client%key_exists("t", exists), "key_exists plain")
  call check(.not. exists, "plain key absent")
  call check_code(client%unpack_tensor("t", out, shape(out)), "unpack")
  call check(all(out == v), "round trip")

  call check_code(client%set_data_source("f_other"), "set_data_source other")
  call check_code(client%tensor_exists("t", exists), "tensor_exists other")
  call check(.not. exists, "not in the other source")
  call check(client%set_data_source("not_in_sskeyin") /= SRNoError, "unknown data source")

  call check_code(client%use_tensor_ensemble_prefix(.false.), "use_tensor_ensemble_prefix")
  call check_code(client%put_tensor("u", v, shape(v)), "put unprefixed")
  call check_code(client%key_exists("u", exists), "key_exists u")
  call check(exists, "unprefixed key exists")
  call check_code(client%use_dataset_ensemble_prefix(.true.), "use_dataset_ensemble_prefix")
  call check_code(client%use_model_ensemble_prefix(.true.), "use_model_ensemble_prefix")
  call check_code(client%use_list_ensemble_prefix(.false.), "use_list_ensemble_prefix")
  write(*, '(A)') "client_test_prefixing: OK"

end program client_test_prefixing
