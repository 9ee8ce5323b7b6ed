!> The SmartRedis MNIST flow through client_type (script pre_process -> CNN -> script post_process -> unpack)
!! against a live store in standalone, unix and cluster modes, with the log-probabilities and labels checked
!! against the results of the same model run directly in libtorch (written by tests/scripts.rs).
!! Arguments: tests/data/mnist_cnn.pt, tests/data/mnist_script.txt, tests/data/mnist_expected.txt.
program client_test_script_flow

  use iso_c_binding
  use smartredis_client, only : client_type
  use test_utils, only : check, check_code

  implicit none

#include "enum_fortran.inc"

  integer, parameter :: images = 2, classes = 10

  type(client_type)       :: client
  character(len=1024)     :: model_file, script_file, expected_file
  character(len=4096)     :: source
  real(kind=c_float)      :: raw(images, 1, 28, 28), out(images, classes), want(images, classes)
  integer(kind=c_int64_t) :: labels(images), want_labels(images)
  logical                 :: exists
  integer                 :: n, j, row, col, u, ios

  call get_command_argument(1, model_file)
  call get_command_argument(2, script_file)
  call get_command_argument(3, expected_file)
  call check(len_trim(expected_file) > 0, "usage: client_test_script_flow <model> <script> <expected>")
  open(newunit=u, file=trim(expected_file), status="old", action="read", iostat=ios)
  call check(ios == 0, "open the expected results")
  read(u, *, iostat=ios)
  do n = 1, images
    if (ios == 0) read(u, *, iostat=ios) want(n, :)
  end do
  if (ios == 0) read(u, *, iostat=ios) want_labels
  call check(ios == 0, "read the expected results")
  close(u)

  call check_code(client%initialize("client_test_script_flow"), "initialize")
  call check_code(client%set_model_from_file("f_mnist_cnn", trim(model_file), "TORCH", "CPU"), "set_model_from_file")
  call check_code(client%set_script_from_file("f_flow_script", "CPU", trim(script_file)), "set_script_from_file")
  call check_code(client%model_exists("f_flow_script", exists), "model_exists")
  call check(exists, "script exists")
  call check_code(client%get_script("f_flow_script", source), "get_script")
  call check(index(source, "def post_process") > 0, "get_script source")

  ! Pixel i (row-major, from 0) of image n (from 0), as tests/scripts.rs (mnist_pixel) computes it.
  do n = 1, images
    do row = 0, 27
      do col = 0, 27
        raw(n, 1, row + 1, col + 1) = real(mod((row * 28 + col) * 37 + (n - 1) * 101, 256), c_float)
      end do
    end do
  end do
  call check_code(client%put_tensor("f_flow_raw", raw, shape(raw)), "put_tensor")
  call check_code(client%run_script("f_flow_script", "pre_process", ["f_flow_raw"], ["f_flow_x  "]), "pre_process")
  call check_code(client%run_model("f_mnist_cnn", ["f_flow_x  "], ["f_flow_out"]), "run_model")
  call check_code(client%run_script("f_flow_script", "post_process", ["f_flow_out  "], ["f_flow_label"]), &
                  "post_process")
  out = 0.0_c_float
  labels = -1
  call check_code(client%unpack_tensor("f_flow_out", out, shape(out)), "unpack_tensor out")
  call check_code(client%unpack_tensor("f_flow_label", labels, shape(labels)), "unpack_tensor label")
  do j = 1, classes
    do n = 1, images
      call check(abs(out(n, j) - want(n, j)) <= 1e-4_c_float * (1.0_c_float + abs(want(n, j))), "log-probability")
    end do
  end do
  call check(all(labels == want_labels), "labels")

  call check_code(client%run_script("f_flow_script", "nope", ["f_flow_raw"], ["f_flow_q  "]), "unknown function", &
                  SRRuntimeError)
  call check_code(client%delete_script("f_flow_script"), "delete_script")
  call check_code(client%delete_model("f_mnist_cnn"), "delete_model")
  call check_code(client%model_exists("f_flow_script", exists), "model_exists")
  call check(.not. exists, "script deleted")
  write(*, '(A)') "client_test_script_flow: OK"

end program client_test_script_flow
