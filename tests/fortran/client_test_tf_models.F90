!> TF models through client_type against a live store (standalone and cluster): set_model with backend "TF" and
!! graph input/output names, set_model_from_file, run_model, every output compared with TensorFlow's own outputs
!! for the same inputs (row-major files read into Fortran arrays with reshape(..., order=reversed)), and an
!! unknown input name's error text.
!! Argument 1: tests/data/tf (frozen graphs and float32 data written by scripts/models/make_tf_models.py).
program client_test_tf_models

  use iso_c_binding
  use smartredis_client, only : client_type
  use smartredis_errors, only : get_last_error
  use test_utils, only : argument, check, check_code, read_bytes

  implicit none

#include "enum_fortran.inc"

  type(client_type)             :: client
  character(len=1024)           :: dir
  character(len=:), allocatable :: lin
  real(kind=c_float)            :: x(4, 3), b(4, 2), y(4, 2), s(4, 2), img(4, 28, 28, 1), out(4, 10)

  dir = argument(1, "client_test_tf_models <tests/data/tf>")
  lin = read_bytes(trim(dir)//"/linear.pb")

  call check_code(client%initialize("client_test_tf_models"), "initialize")
  call check_code(client%set_model("f_tf_lin", lin, "TF", "CPU", 0, 0, 0, "", ["x", "b"], ["y     ", "scaled"]), &
                  "set_model TF")
  x = reshape(floats("linear_x.f32", 12), [4, 3], order=[2, 1])
  b = reshape(floats("linear_b.f32", 8), [4, 2], order=[2, 1])
  call check_code(client%put_tensor("f_tf_x", x, shape(x)), "put_tensor x")
  call check_code(client%put_tensor("f_tf_b", b, shape(b)), "put_tensor b")
  call check_code(client%run_model("f_tf_lin", ["f_tf_x", "f_tf_b"], ["f_tf_y", "f_tf_s"]), "run_model linear")
  call check_code(client%unpack_tensor("f_tf_y", y, shape(y)), "unpack_tensor y")
  call check_code(client%unpack_tensor("f_tf_s", s, shape(s)), "unpack_tensor scaled")
  call check(close_to(y, reshape(floats("linear_y.f32", 8), [4, 2], order=[2, 1])), "y as TensorFlow")
  call check(close_to(s, reshape(floats("linear_scaled.f32", 8), [4, 2], order=[2, 1])), "scaled as TensorFlow")

  call check_code(client%set_model_from_file("f_tf_cnn", trim(dir)//"/cnn.pb", "TF", "CPU", batch_size=8, &
                  inputs=["input"], outputs=["output"]), "set_model_from_file TF")
  img = reshape(floats("cnn_input.f32", 4 * 784), [4, 28, 28, 1], order=[4, 3, 2, 1])
  call check_code(client%put_tensor("f_tf_img", img, shape(img)), "put_tensor img")
  call check_code(client%run_model("f_tf_cnn", ["f_tf_img"], ["f_tf_out"]), "run_model cnn")
  call check_code(client%unpack_tensor("f_tf_out", out, shape(out)), "unpack_tensor out")
  call check(close_to(out, reshape(floats("cnn_output.f32", 40), [4, 10], order=[2, 1])), "cnn as TensorFlow")

  call check_code(client%set_model("f_tf_bad", lin, "TF", "CPU", 0, 0, 0, "", ["nope"], ["y"]), &
                  "set_model with an unknown input", SRRuntimeError)
  call check(index(get_last_error(), 'Input node named "nope" not found in TF graph.') > 0, &
             "server text: "//get_last_error())

  call check_code(client%delete_model("f_tf_lin"), "delete_model")
  call check_code(client%delete_model("f_tf_cnn"), "delete_model")
  write(*, '(A)') "client_test_tf_models: OK"

contains

  !> The `n` float32 values of <dir>/<name>.
  function floats(name, n) result(v)
    character(len=*), intent(in) :: name
    integer,          intent(in) :: n
    real(kind=c_float)           :: v(n)
    integer                      :: u

    open(newunit=u, file=trim(dir)//"/"//name, access='stream', form='unformatted', status='old', action='read')
    read(u) v
    close(u)
  end function floats

  !> Whether every element of `got` is within 1e-5 (relative) of `want`.
  logical function close_to(got, want)
    real(kind=c_float), intent(in) :: got(:, :), want(:, :)

    close_to = all(abs(got - want) <= 1e-5_c_float * (1.0_c_float + abs(want)))
  end function close_to

end program client_test_tf_models
