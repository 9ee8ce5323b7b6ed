!> TFLITE models through client_type against a live store (standalone and cluster): set_model with backend
!! "TFLITE" (no input or output names) from memory and from a file, get_model, run_model on the linear model, the
!! MNIST-sized CNN and a two-input, two-output model (inputs and outputs in the model's signature order), every
!! output compared with what LiteRT computed for the same inputs (tests/data/<model>.expected: row-major values read
!! into Fortran arrays with reshape(..., order=reversed)), and a bad flatbuffer's error text.
!! Argument 1: tests/data (models and .expected files written by scripts/models/make_tflite_models.py).
program client_test_tflite

  use iso_c_binding
  use smartredis_client, only : client_type
  use smartredis_errors, only : get_last_error
  use test_utils, only : argument, check, check_code, read_bytes

  implicit none

#include "enum_fortran.inc"

  type(client_type)             :: client
  character(len=1024)           :: dir
  character(len=:), allocatable :: lin
  character(len=4096)           :: fetched
  real(kind=c_float)            :: x(2, 6), y(2, 4), img(1, 28, 28, 1), prob(1, 10)
  real(kind=c_float)            :: a(2, 3), b(2, 3), sum_ab(2, 3), prod_ab(2, 3)

  dir = argument(1, "client_test_tflite <tests/data>")
  lin = read_bytes(trim(dir)//"/linear_6x4.tflite")

  call check_code(client%initialize("client_test_tflite"), "initialize")
  call check_code(client%set_model("f_tl_lin", lin, "TFLITE", "CPU"), "set_model TFLITE")
  call check_code(client%get_model("f_tl_lin", fetched), "get_model")
  call check(fetched(1:len(lin)) == lin, "get_model bytes")
  x = reshape(expected("linear_6x4", 1, 12), [2, 6], order=[2, 1])
  call check_code(client%put_tensor("f_tl_x", x, shape(x)), "put_tensor x")
  call check_code(client%run_model("f_tl_lin", ["f_tl_x"], ["f_tl_y"]), "run_model linear")
  call check_code(client%unpack_tensor("f_tl_y", y, shape(y)), "unpack_tensor y")
  call check(close_to(pack(y, .true.), pack(reshape(expected("linear_6x4", 2, 8), [2, 4], order=[2, 1]), .true.)), &
             "linear as LiteRT")

  call check_code(client%set_model_from_file("f_tl_cnn", trim(dir)//"/mnist_cnn.tflite", "TFLITE", "CPU", &
                  tag="cnn"), "set_model_from_file TFLITE")
  img = reshape(expected("mnist_cnn", 1, 784), [1, 28, 28, 1], order=[4, 3, 2, 1])
  call check_code(client%put_tensor("f_tl_img", img, shape(img)), "put_tensor img")
  call check_code(client%run_model("f_tl_cnn", ["f_tl_img"], ["f_tl_prob"]), "run_model cnn")
  call check_code(client%unpack_tensor("f_tl_prob", prob, shape(prob)), "unpack_tensor prob")
  call check(close_to(pack(prob, .true.), expected("mnist_cnn", 2, 10)), "cnn as LiteRT")

  ! add_mul's signature takes b, then a, and gives add, then mul.
  call check_code(client%set_model_from_file("f_tl_am", trim(dir)//"/add_mul.tflite", "TFLITE", "CPU"), &
                  "set_model_from_file add_mul")
  b = reshape(expected("add_mul", 1, 6), [2, 3], order=[2, 1])
  a = reshape(expected("add_mul", 2, 6), [2, 3], order=[2, 1])
  call check_code(client%put_tensor("f_tl_b", b, shape(b)), "put_tensor b")
  call check_code(client%put_tensor("f_tl_a", a, shape(a)), "put_tensor a")
  call check_code(client%run_model("f_tl_am", ["f_tl_b", "f_tl_a"], ["f_tl_sum ", "f_tl_prod"]), "run_model add_mul")
  call check_code(client%unpack_tensor("f_tl_sum", sum_ab, shape(sum_ab)), "unpack_tensor sum")
  call check_code(client%unpack_tensor("f_tl_prod", prod_ab, shape(prod_ab)), "unpack_tensor prod")
  call check(close_to(pack(sum_ab, .true.), pack(reshape(expected("add_mul", 3, 6), [2, 3], order=[2, 1]), .true.)), &
             "add as LiteRT")
  call check(close_to(pack(prod_ab, .true.), pack(reshape(expected("add_mul", 4, 6), [2, 3], order=[2, 1]), .true.)), &
             "mul as LiteRT")

  call check_code(client%set_model("f_tl_bad", "garbage", "TFLITE", "CPU"), "set_model with a bad flatbuffer", &
                  SRRuntimeError)
  call check(index(get_last_error(), "Failed to load model from buffer") > 0, "server text: "//get_last_error())

  call check_code(client%delete_model("f_tl_lin"), "delete_model")
  call check_code(client%delete_model("f_tl_cnn"), "delete_model")
  call check_code(client%delete_model("f_tl_am"), "delete_model")
  write(*, '(A)') "client_test_tflite: OK"

contains

  !> The `n` values of the `k`-th tensor of <dir>/<model>.expected (its inputs, then its outputs, each a header
  !! line and a line of values).
  function expected(model, k, n) result(v)
    character(len=*), intent(in) :: model
    integer,          intent(in) :: k, n
    real(kind=c_float)           :: v(n)
    character(len=256)           :: header
    integer                      :: u, i

    open(newunit=u, file=trim(dir)//"/"//model//".expected", status='old', action='read')
    do i = 1, 2 * (k - 1)
      read(u, '(A)') header
    end do
    read(u, '(A)') header
    read(u, *) v
    close(u)
  end function expected

  !> Whether every element of `got` is within 1e-5 (relative) of `want`.
  logical function close_to(got, want)
    real(kind=c_float), intent(in) :: got(:), want(:)

    close_to = size(got) == size(want) .and. all(abs(got - want) <= 1e-5_c_float * (1.0_c_float + abs(want)))
  end function close_to

end program client_test_tflite
