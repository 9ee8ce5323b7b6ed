!> Puts and unpacks 3-D arrays of every supported kind through client_type, checks that they are stored in
!! row-major order (element A(i,j,k) is tensor element [i-1][j-1][k-1], read back through the C API with the
!! C-contiguous layout), that array sections work, and the tensor key operations. Needs a server (SSDB).
program client_test_put_get_3D

  use iso_c_binding
  use smartredis_client, only : client_type
  use smartredis_errors, only : get_last_error
  use test_utils, only : check, check_code

  implicit none

#include "enum_fortran.inc"

  integer, parameter :: d1 = 3, d2 = 4, d3 = 5

#include "c_interfaces.inc"

  type(client_type) :: client, deprecated
  character(len=32) :: db_type
  real(kind=c_double), target :: dbl_send(d1,d2,d3), dbl_recv(d1,d2,d3), dbl_c_order(d3,d2,d1)
  real(kind=c_float)          :: flt_send(d1,d2,d3), flt_recv(d1,d2,d3)
  integer(kind=c_int8_t)      :: i8_send(d1,d2,d3), i8_recv(d1,d2,d3)
  integer(kind=c_int16_t)     :: i16_send(d1,d2,d3), i16_recv(d1,d2,d3)
  integer(kind=c_int32_t)     :: i32_send(d1,d2,d3), i32_recv(d1,d2,d3)
  integer(kind=c_int64_t)     :: i64_send(d1,d2,d3), i64_recv(d1,d2,d3)
  real(kind=c_double)         :: big(2*d1,d2,d3), section_recv(d1,d2,d3)
  real(kind=c_double)         :: vec_send(7), vec_recv(7)
  integer :: i, j, k
  logical :: exists

  call check(.not. client%isinitialized(), "not initialized before initialize")
  call check_code(client%initialize("client_test_put_get_3D"), "initialize")
  call check(client%isinitialized(), "isinitialized")
  call check(.not. client%SR_error_parser(SRNoError), "SR_error_parser: no error")
  call check(client%SR_error_parser(SRKeyError), "SR_error_parser: key error")

  do k = 1, d3
    do j = 1, d2
      do i = 1, d1
        dbl_send(i,j,k) = real(100*i + 10*j + k, c_double) + 0.25_c_double
        i8_send(i,j,k) = int(mod(37*i + 11*j + 3*k, 120), c_int8_t)
      end do
    end do
  end do
  flt_send = real(dbl_send, c_float)
  i16_send = int(dbl_send, c_int16_t) - 300_c_int16_t
  i32_send = -int(dbl_send, c_int32_t)
  i64_send = int(dbl_send, c_int64_t) * 1000000000_c_int64_t

  call check_code(client%put_tensor("f_3d_dbl", dbl_send, shape(dbl_send)), "put dbl")
  call check_code(client%put_tensor("f_3d_flt", flt_send, shape(flt_send)), "put flt")
  call check_code(client%put_tensor("f_3d_i8", i8_send, shape(i8_send)), "put i8")
  call check_code(client%put_tensor("f_3d_i16", i16_send, shape(i16_send)), "put i16")
  call check_code(client%put_tensor("f_3d_i32", i32_send, shape(i32_send)), "put i32")
  call check_code(client%put_tensor("f_3d_i64", i64_send, shape(i64_send)), "put i64")

  call check_code(client%unpack_tensor("f_3d_dbl", dbl_recv, shape(dbl_recv)), "unpack dbl")
  call check_code(client%unpack_tensor("f_3d_flt", flt_recv, shape(flt_recv)), "unpack flt")
  call check_code(client%unpack_tensor("f_3d_i8", i8_recv, shape(i8_recv)), "unpack i8")
  call check_code(client%unpack_tensor("f_3d_i16", i16_recv, shape(i16_recv)), "unpack i16")
  call check_code(client%unpack_tensor("f_3d_i32", i32_recv, shape(i32_recv)), "unpack i32")
  call check_code(client%unpack_tensor("f_3d_i64", i64_recv, shape(i64_recv)), "unpack i64")
  call check(all(dbl_recv == dbl_send), "dbl round trip")
  call check(all(flt_recv == flt_send), "flt round trip")
  call check(all(i8_recv == i8_send), "i8 round trip")
  call check(all(i16_recv == i16_send), "i16 round trip")
  call check(all(i32_recv == i32_send), "i32 round trip")
  call check(all(i64_recv == i64_send), "i64 round trip")

  ! Stored row-major with the Fortran dims: a C reader sees T[i-1][j-1][k-1] == A(i,j,k).
  call check_code(unpack_tensor_c(client%get_c_pointer(), "f_3d_dbl", 8_c_size_t, c_loc(dbl_c_order), &
                                  [integer(c_size_t) :: d1, d2, d3], 3_c_size_t, tensor_dbl, c_contiguous), &
                  "unpack dbl as C-contiguous")
  do k = 1, d3
    do j = 1, d2
      do i = 1, d1
        call check(dbl_c_order(k,j,i) == dbl_send(i,j,k), "row-major storage")
      end do
    end do
  end do

  ! Non-contiguous array sections (copied by the compiler) and rank 1.
  big = -1
  big(1:2*d1:2,:,:) = dbl_send
  call check_code(client%put_tensor("f_3d_section", big(1:2*d1:2,:,:), [d1,d2,d3]), "put section")
  call check_code(client%unpack_tensor("f_3d_section", section_recv, [d1,d2,d3]), "unpack section")
  call check(all(section_recv == dbl_send), "section round trip")
  big = 0
  call check_code(client%unpack_tensor("f_3d_dbl", big(2:2*d1:2,:,:), [d1,d2,d3]), "unpack into section")
  call check(all(big(2:2*d1:2,:,:) == dbl_send) .and. all(big(1:2*d1:2,:,:) == 0), "unpack into section")
  vec_send = [(real(i, c_double), i = 1, 7)]
  call check_code(client%put_tensor("f_1d", vec_send, shape(vec_send)), "put 1d")
  call check_code(client%unpack_tensor("f_1d", vec_recv, shape(vec_recv)), "unpack 1d")
  call check(all(vec_recv == vec_send), "1d round trip")

  ! Key operations.
  call check_code(client%tensor_exists("f_3d_dbl", exists), "tensor_exists")
  call check(exists, "f_3d_dbl exists")
  call check_code(client%key_exists("f_3d_dbl", exists), "key_exists")
  call check(exists, "key f_3d_dbl exists")
  call check_code(client%copy_tensor("f_3d_dbl", "f_3d_copy"), "copy_tensor")
  call check_code(client%rename_tensor("f_3d_copy", "f_3d_renamed"), "rename_tensor")
  call check_code(client%poll_tensor("f_3d_renamed", 10, 5, exists), "poll_tensor")
  call check(exists, "renamed exists")
  call check_code(client%tensor_exists("f_3d_copy", exists), "tensor_exists copy")
  call check(.not. exists, "copy was renamed")
  call check_code(client%delete_tensor("f_3d_renamed"), "delete_tensor")
  call check_code(client%poll_key("f_3d_renamed", 5, 2, exists), "poll_key")
  call check(.not. exists, "deleted")

  ! Errors: a missing tensor fails with a message.
  call check(client%rename_tensor("f_3d_missing", "f_3d_other") /= SRNoError, "rename of a missing tensor fails")
  call check(len(get_last_error()) > 1, "last error text")
  call check(client%unpack_tensor("f_3d_dbl", i8_recv, shape(i8_recv)) /= SRNoError, "unpack with the wrong type")

  ! Description, and the deprecated cluster-flag initializer in this store's mode.
  call check(index(client%to_string(), "Client (client_test_put_get_3D)") == 1, "to_string")
  call client%print_client()
  call get_environment_variable("SR_DB_TYPE", db_type)
  call check_code(deprecated%initialize(trim(db_type) == "Clustered", "client_test_deprecated"), "deprecated init")
  call check_code(deprecated%tensor_exists("f_3d_dbl", exists), "tensor_exists via deprecated client")
  call check(exists, "deprecated client sees f_3d_dbl")

  call check_code(client%destructor(), "destructor")
  call check(.not. client%isinitialized(), "not initialized after destructor")
  call check_code(client%destructor(), "second destructor is a no-op")
  write(*, '(A)') "client_test_put_get_3D: OK"

end program client_test_put_get_3D
