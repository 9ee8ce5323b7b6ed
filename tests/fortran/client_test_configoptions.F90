!> configoptions_type through Fortran: plain and suffixed options, missing keys, overrides, is_configured,
!! and the last-error text. Needs no server.
program client_test_configoptions

  use iso_c_binding, only : c_int64_t
  use smartredis_configoptions, only : configoptions_type
  use smartredis_errors, only : get_last_error
  use test_utils, only : setenv, unsetenv, check, check_code

  implicit none

#include "enum_fortran.inc"

  type(configoptions_type) :: co, suffixed, alias
  integer(kind=c_int64_t)  :: ival
  character(len=:), allocatable :: sval
  logical :: configured

  call setenv("F_TEST_INT", "42")
  call setenv("F_TEST_STR", "hello")
  call setenv("F_TEST_INT_suffixtest", "-7")
  call unsetenv("F_TEST_MISSING")

  call check_code(co%create_configoptions_from_environment(""), "create")
  call check_code(co%get_integer_option("F_TEST_INT", ival), "get int")
  call check(ival == 42_c_int64_t, "int value")
  call check_code(co%get_string_option("F_TEST_STR", sval), "get string")
  call check(sval == "hello" .and. len(sval) == 5, "string value")
  call check_code(co%is_configured("F_TEST_STR", configured), "is_configured")
  call check(configured, "F_TEST_STR configured")
  call check_code(co%is_configured("F_TEST_MISSING", configured), "is_configured missing")
  call check(.not. configured, "F_TEST_MISSING not configured")

  call check_code(co%get_integer_option("F_TEST_MISSING", ival), "missing int", SRKeyError)
  call check(index(get_last_error(), "F_TEST_MISSING") > 0, "error names the key")
  call check_code(co%get_string_option("F_TEST_MISSING", sval), "missing string", SRKeyError)

  call check_code(co%override_integer_option("F_TEST_MISSING", 5_c_int64_t), "override int")
  call check_code(co%get_integer_option("F_TEST_MISSING", ival), "get overridden int")
  call check(ival == 5_c_int64_t, "overridden int value")
  call check_code(co%override_string_option("F_TEST_STR", "world"), "override string")
  call check_code(co%get_string_option("F_TEST_STR", sval), "get overridden string")
  call check(sval == "world", "overridden string value")

  call check_code(suffixed%create_configoptions_from_environment("suffixtest"), "create suffixed")
  call check_code(suffixed%get_integer_option("F_TEST_INT", ival), "get suffixed int")
  call check(ival == -7_c_int64_t, "suffixed int value")

  ! An assigned copy shares the options without owning them; the original stays usable after it is reset.
  alias = co
  call check_code(alias%get_integer_option("F_TEST_INT", ival), "get through alias")
  call check_code(alias%destructor(), "alias destructor")
  call check_code(co%get_integer_option("F_TEST_INT", ival), "get after alias destructor")
  call check(ival == 42_c_int64_t, "original still valid")

  call check_code(co%destructor(), "destructor")
  call check_code(suffixed%destructor(), "suffixed destructor")
  write(*, '(A)') "client_test_configoptions: OK"

end program client_test_configoptions
