!> The log_data, log_warning and log_error generics against a client, a log context and a string, and
!! print_last_error. Logs go to the file named by the first argument (default f_logging_test.log), which is
!! checked. Needs a server (SSDB) for the client context.
program client_test_logging

  use smartredis_client, only : client_type
  use smartredis_logcontext, only : logcontext_type
  use smartredis_logger, only : log_data, log_warning, log_error
  use smartredis_errors, only : print_last_error
  use test_utils, only : setenv, check, check_code

  implicit none

#include "enum_fortran.inc"

  type(client_type)     :: client
  type(logcontext_type) :: context
  character(len=256)    :: log_file
  character(len=1024)   :: line
  character(len=:), allocatable :: text
  integer :: unit, ios

  log_file = "f_logging_test.log"
  if (command_argument_count() > 0) call get_command_argument(1, log_file)
  open(newunit=unit, file=trim(log_file), status="replace")
  close(unit)
  call setenv("SR_LOG_FILE", trim(log_file))
  call setenv("SR_LOG_LEVEL", "INFO")

  call check_code(client%initialize("f_client_ctx"), "initialize client")
  call check_code(context%initialize("f_logcontext"), "initialize logcontext")

  call log_data(client, LLQuiet, "data via client")
  call log_warning(client, LLInfo, "warning via client")
  call log_error(context, LLQuiet, "error via logcontext")
  call log_data(context, LLDebug, "debug message, filtered at INFO")
  call log_data("f_string_ctx", LLInfo, "data via string")

  call check(client%rename_tensor("f_log_missing", "f_log_other") /= SRNoError, "rename of a missing tensor fails")
  call print_last_error()

  text = ""
  open(newunit=unit, file=trim(log_file), status="old", action="read")
  do
    read(unit, '(A)', iostat=ios) line
    if (ios /= 0) exit
    text = text // trim(line) // new_line('a')
  end do
  close(unit)
  call check(index(text, "f_client_ctx@") > 0 .and. index(text, ":data via client") > 0, "client data line")
  call check(index(text, ":WARNING: warning via client") > 0, "client warning line")
  call check(index(text, "f_logcontext@") > 0 .and. index(text, ":ERROR: error via logcontext") > 0, &
             "logcontext error line")
  call check(index(text, "debug message") == 0, "debug filtered")
  call check(index(text, "f_string_ctx@") > 0 .and. index(text, ":data via string") > 0, "string line")
  write(*, '(A)') "client_test_logging: OK"

end program client_test_logging
