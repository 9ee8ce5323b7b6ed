!> The SmartRedis flow through client_type (script -> model -> script -> unpack) against a live store in
!! standalone, unix and cluster modes, checked against z = (2x).w + b + 1 computed here.
!! Arguments: tests/data/linear_6x4.onnx, tests/data/data_processing_script.txt.
program client_test_script_flow

  use iso_c_binding
  use smartredis_client, only : client_type
  use test_utils, only : check, check_code

  implicit none

#include "enum_fortran.inc"

  integer, parameter :: k = 6, m = 4, rows = 2

  type(client_type)   :: client
  character(len=1024) :: model_file, script_file
  character(len=4096) :: source
  real(kind=c_float)  :: x(rows, k), z(rows, m), want
  logical             :: exists
  integer             :: r, i, j

  call get_command_argument(1, model_file)
  call get_command_argument(2, script_file)
  call check(len_trim(script_file) > 0, "usage: client_test_script_flow <model> <script>")

  call check_code(client%initialize("client_test_script_flow"), "initialize")
  call check_code(client%set_model_from_file("f_flow_model", trim(model_file), "ONNX", "CPU"), "set_model_from_file")
  call check_code(client%set_script_from_file("f_flow_script", "CPU", trim(script_file)), "set_script_from_file")
  call check_code(client%model_exists("f_flow_script", exists), "model_exists")
  call check(exists, "script exists")
  call check_code(client%get_script("f_flow_script", source), "get_script")
  call check(index(source, "def post_process") > 0, "get_script source")

  do i = 1, k
    do r = 1, rows
      x(r, i) = 0.01_c_float * real((r - 1) * k + (i - 1), c_float) - 0.2_c_float
    end do
  end do
  call check_code(client%put_tensor("f_flow_x", x, shape(x)), "put_tensor")
  call check_code(client%run_script("f_flow_script", "pre_process", ["f_flow_x "], ["f_flow_x2"]), "pre_process")
  call check_code(client%run_model("f_flow_model", ["f_flow_x2"], ["f_flow_y "]), "run_model")
  call check_code(client%run_script("f_flow_script", "post_process", ["f_flow_y"], ["f_flow_z"]), "post_process")
  z = 0.0_c_float
  call check_code(client%unpack_tensor("f_flow_z", z, shape(z)), "unpack_tensor")
  do j = 1, m
    do r = 1, rows
      want = 1.0_c_float + 0.5_c_float * real(j - 1, c_float)
      do i = 1, k
        want = want + 2.0_c_float * x(r, i) * (0.1_c_float * real(i, c_float) - 0.05_c_float * real(j - 1, c_float))
      end do
      call check(abs(z(r, j) - want) <= 1e-4_c_float, "flow result")
    end do
  end do

  call check_code(client%run_script("f_flow_script", "nope", ["f_flow_x"], ["f_flow_q"]), "unknown function", &
                  SRRuntimeError)
  call check_code(client%delete_script("f_flow_script"), "delete_script")
  call check_code(client%delete_model("f_flow_model"), "delete_model")
  call check_code(client%model_exists("f_flow_script", exists), "model_exists")
  call check(.not. exists, "script deleted")
  write(*, '(A)') "client_test_script_flow: OK"

end program client_test_script_flow
