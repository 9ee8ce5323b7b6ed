!> Aggregation lists from Fortran, upstream-style: puts datasets, appends them to a list, polls its length, gets
!! them back (whole list and ranges, negative indices included), copies, renames and deletes the list, and the
!! error paths (negative lengths, empty names, a missing list). Needs a server (SSDB).
program client_test_aggregation

  use iso_c_binding
  use smartredis_client, only : client_type
  use smartredis_dataset, only : dataset_type
  use test_utils, only : check, check_code

  implicit none

#include "enum_fortran.inc"

  integer, parameter :: n = 6

  type(client_type)  :: client
  type(dataset_type) :: ds
  type(dataset_type), dimension(:), allocatable :: got
  character(len=32) :: name
  integer :: i, length, num
  logical :: ok

  call check_code(client%initialize("client_test_aggregation"), "initialize")
  call check_code(client%delete_list("f_list"), "delete_list of a missing list")
  call check_code(client%get_list_length("f_list", length), "length of a missing list")
  call check(length == 0, "a missing list is empty")
  call check_code(client%get_datasets_from_list("f_list", got, num), "datasets of a missing list")
  call check(num == 0 .and. size(got) == 0, "no datasets in a missing list")

  do i = 1, n
    write(name, '(A,I0)') "f_agg_", i
    call check_code(ds%initialize(name), "initialize "//trim(name))
    call check_code(ds%add_tensor("v", [real(i, c_double), real(2*i, c_double)], [2]), "add_tensor")
    call check_code(ds%add_meta_scalar("i", int(i, c_int32_t)), "add_meta_scalar")
    call check_code(client%put_dataset(ds), "put "//trim(name))
    call check_code(client%append_to_list("f_list", ds), "append "//trim(name))
  end do
  call check_code(client%get_list_length("f_list", length), "get_list_length")
  call check(length == n, "list length")
  call check_code(client%poll_list_length("f_list", n, 1, 2, ok), "poll_list_length")
  call check(ok, "poll_list_length ==")
  call check_code(client%poll_list_length("f_list", n + 1, 1, 2, ok), "poll_list_length other")
  call check(.not. ok, "poll_list_length != ")
  call check_code(client%poll_list_length_gte("f_list", n - 1, 1, 2, ok), "poll_list_length_gte")
  call check(ok, "poll_list_length_gte")
  call check_code(client%poll_list_length_gte("f_list", n + 1, 1, 2, ok), "poll_list_length_gte more")
  call check(.not. ok, "poll_list_length_gte more")
  call check_code(client%poll_list_length_lte("f_list", n, 1, 2, ok), "poll_list_length_lte")
  call check(ok, "poll_list_length_lte")
  call check_code(client%poll_list_length_lte("f_list", n - 1, 1, 2, ok), "poll_list_length_lte less")
  call check(.not. ok, "poll_list_length_lte less")

  call check_code(client%get_datasets_from_list("f_list", got, num), "get_datasets_from_list")
  call check(num == n .and. size(got) == n, "every dataset")
  do i = 1, n
    call check_entry(got(i), i)
  end do
  ! Getting again into the same allocatable array frees the previous datasets (checked under valgrind).
  call check_code(client%get_datasets_from_list_range("f_list", 1, 3, got), "range 1..3")
  call check(size(got) == 3, "three datasets")
  do i = 1, 3
    call check_entry(got(i), i + 1)
  end do
  call check_code(client%get_dataset_list_range("f_list", -2, -1, got), "range -2..-1")
  call check(size(got) == 2, "the last two")
  call check_entry(got(1), n - 1)
  call check_entry(got(2), n)
  call check_code(client%get_datasets_from_list_range("f_list", 4, 100, got), "range past the end")
  call check(size(got) == n - 4, "range clipped to the list")

  call check_code(client%copy_list("f_list", "f_list_copy"), "copy_list")
  call check_code(client%get_list_length("f_list_copy", length), "copied length")
  call check(length == n, "copied list length")
  call check_code(client%rename_list("f_list_copy", "f_list_moved"), "rename_list")
  call check_code(client%get_list_length("f_list_copy", length), "renamed source length")
  call check(length == 0, "renamed source is gone")
  call check_code(client%get_datasets_from_list("f_list_moved", got, num), "datasets of the renamed list")
  call check(num == n, "renamed list has every dataset")
  call check_entry(got(n), n)
  call check_code(client%delete_list("f_list_moved"), "delete_list")
  call check_code(client%get_list_length("f_list_moved", length), "deleted length")
  call check(length == 0, "deleted list is gone")

  ! Error paths.
  call check_code(client%poll_list_length("f_list", -1, 1, 1, ok), "negative length", SRParameterError)
  call check_code(client%poll_list_length_gte("f_list", -1, 1, 1, ok), "negative length gte", SRParameterError)
  call check_code(client%poll_list_length_lte("f_list", -1, 1, 1, ok), "negative length lte", SRParameterError)
  call check_code(client%copy_list("f_absent_list", "x"), "copy a missing list", SRRuntimeError)
  call check_code(client%get_list_length("", length), "empty list name", SRParameterError)
  call check_code(client%get_datasets_from_list("", got, num), "empty list name (get)", SRParameterError)
  call check(num == 0, "no datasets after an error")
  call check_code(client%append_to_list("", ds), "empty list name (append)", SRParameterError)

  deallocate(got)
  call check_code(ds%destructor(), "dataset destructor")
  call check_code(client%destructor(), "client destructor")
  write(*, '(A)') "client_test_aggregation: OK"

contains

  !> `ds` is dataset f_agg_<i>.
  subroutine check_entry(ds, i)
    type(dataset_type), intent(in) :: ds
    integer,            intent(in) :: i

    real(kind=c_double) :: v(2)
    integer(kind=c_int32_t), dimension(:), pointer :: meta

    call check_code(ds%unpack_dataset_tensor("v", v, [2]), "unpack v")
    call check(v(1) == real(i, c_double) .and. v(2) == real(2*i, c_double), "tensor of an entry")
    call check_code(ds%get_meta_scalars("i", meta), "meta i")
    call check(size(meta) == 1 .and. meta(1) == i, "metadata of an entry")
  end subroutine check_entry

end program client_test_aggregation
