!> Models through client_type against a live store (standalone, unix and cluster): set_model from memory (the
!! bytes whole, trailing blanks included) and from a file, get_model, model_exists, poll_model, run_model checked
!! against y = x.w + b computed here, delete, and error codes with the server's text.
!! Argument 1: tests/data/linear_6x4.onnx (w(i,j) = 0.1 i - 0.05 (j-1), b(j) = 0.5 (j-1)).
program client_test_models

  use iso_c_binding
  use smartredis_client, only : client_type
  use smartredis_errors, only : get_last_error
  use test_utils, only : argument, check, check_code, read_bytes

  implicit none

#include "enum_fortran.inc"

  integer, parameter :: k = 6, m = 4, rows = 3

  type(client_type)             :: client
  character(len=1024)           :: path
  character(len=:), allocatable :: model
  character(len=4096)           :: fetched
  character(len=8)              :: too_short
  logical                       :: exists
  integer                       :: length

  path = argument(1, "client_test_models <linear_6x4.onnx>")
  model = read_bytes(trim(path))
  length = len(model)

  call check_code(client%initialize("client_test_models"), "initialize")
  call check_code(client%model_exists("f_lin", exists), "model_exists")
  call check(.not. exists, "no model yet")
  call check_code(client%set_model("f_lin", model, "ONNX", "CPU", 0, 0, 0, "", ["x"], ["y"]), "set_model")
  call check_code(client%model_exists("f_lin", exists), "model_exists")
  call check(exists, "model exists")
  call check_code(client%poll_model("f_lin", 10, 3, exists), "poll_model")
  call check(exists, "poll_model finds it")
  call check_code(client%get_model("f_lin", fetched), "get_model")
  call check(fetched(1:length) == model .and. len_trim(fetched(length+1:)) == 0, "get_model bytes")
  call check_code(client%get_model("f_lin", too_short), "get_model into a short buffer", SRParameterError)
  call run_and_check("f_lin", "f_x", "f_y")

  call check_code(client%set_model_from_file("f_file", trim(path), "ONNX", "CPU"), "set_model_from_file")
  call run_and_check("f_file", "f_x2", "f_y2")
  call check_code(client%set_model_chunk_size(50), "set_model_chunk_size")
  call check_code(client%set_model_from_file("f_chunked", trim(path), "ONNX", "CPU", tag="t", batch_size=2), &
                  "set_model_from_file in chunks")
  call check_code(client%get_model("f_chunked", fetched), "get_model in chunks")
  call check(fetched(1:length) == model, "chunked get_model bytes")
  call run_and_check("f_chunked", "f_x3", "f_y3")

  call check_code(client%run_model("f_lin", ["f_missing"], ["f_out"]), "run_model on a missing input", &
                  SRRuntimeError)
  call check(index(get_last_error(), "tensor key is empty") > 0, "server text: "//get_last_error())
  call check_code(client%set_model("f_bad", "not a model", "ONNX", "CPU", 0, 0, 0, "", [""], [""]), &
                  "set_model with bad bytes", SRRuntimeError)
  call check_code(client%set_model_multigpu("f_mg", model, "ONNX", 0, 0), "num_gpus 0", SRParameterError)

  call check_code(client%delete_model("f_lin"), "delete_model")
  call check_code(client%delete_model("f_file"), "delete_model")
  call check_code(client%delete_model("f_chunked"), "delete_model")
  call check_code(client%poll_model("f_lin", 1, 2, exists), "poll_model")
  call check(.not. exists, "model deleted")
  write(*, '(A)') "client_test_models: OK"

contains

  !> Runs `name` on a (rows, k) input and checks the (rows, m) output.
  subroutine run_and_check(name, input, output)
    character(len=*), intent(in) :: name, input, output

    real(kind=c_float) :: x(rows, k), y(rows, m), want
    integer :: r, i, j

    do i = 1, k
      do r = 1, rows
        x(r, i) = 0.01_c_float * real((r - 1) * k + (i - 1), c_float) - 0.2_c_float
      end do
    end do
    call check_code(client%put_tensor(input, x, shape(x)), "put_tensor "//input)
    call check_code(client%run_model(name, [input], [output]), "run_model "//name)
    y = 0.0_c_float
    call check_code(client%unpack_tensor(output, y, shape(y)), "unpack_tensor "//output)
    do j = 1, m
      do r = 1, rows
        want = 0.5_c_float * real(j - 1, c_float)
        do i = 1, k
          want = want + x(r, i) * (0.1_c_float * real(i, c_float) - 0.05_c_float * real(j - 1, c_float))
        end do
        call check(abs(y(r, j) - want) <= 1e-4_c_float, "result of "//name)
      end do
    end do
  end subroutine run_and_check

end program client_test_models
