!> An upstream-style program over dataset_type end to end: builds a dataset with 3-D tensors of every kind and
!! every scalar metadata kind plus strings, reads it back through every getter, puts it, checks its keys, gets,
!! copies, renames and deletes it, and exercises the error paths (missing dataset, tensor or field, wrong type,
!! wrong dims, empty dataset, empty names, an uninitialized dataset, a client handle passed as a dataset).
!! Needs a server (SSDB).
program client_test_dataset

  use iso_c_binding
  use iso_fortran_env, only : output_unit
  use smartredis_client, only : client_type
  use smartredis_dataset, only : dataset_type, enum_kind
  use smartredis_errors, only : get_last_error
  use test_utils, only : check, check_code

  implicit none

#include "enum_fortran.inc"

  integer, parameter :: d1 = 3, d2 = 4, d3 = 5

  type(client_type)  :: client
  type(dataset_type) :: dataset, fetched, copied, empty, never_initialized, bogus, alias
  real(kind=c_double)     :: dbl_send(d1,d2,d3), dbl_recv(d1,d2,d3)
  real(kind=c_float)      :: flt_send(d1,d2,d3), flt_recv(d1,d2,d3)
  integer(kind=c_int8_t)  :: i8_send(d1,d2,d3), i8_recv(d1,d2,d3)
  integer(kind=c_int16_t) :: i16_send(d1,d2,d3), i16_recv(d1,d2,d3)
  integer(kind=c_int32_t) :: i32_send(d1,d2,d3), i32_recv(d1,d2,d3)
  integer(kind=c_int64_t) :: i64_send(d1,d2,d3), i64_recv(d1,d2,d3)
  real(kind=c_double)     :: flat_recv(d1*d2*d3), wrong_recv(d1,d2)
  real(kind=c_double),     dimension(:), pointer :: dbl_meta
  real(kind=c_float),      dimension(:), pointer :: flt_meta
  integer(kind=c_int32_t), dimension(:), pointer :: i32_meta
  integer(kind=c_int64_t), dimension(:), pointer :: i64_meta
  integer :: dims(4), ndims, i, j, k
  integer(kind=enum_kind) :: ttype, mdtype
  logical :: exists
  character(len=:), allocatable :: text

  call check_code(client%initialize("client_test_dataset"), "initialize")

  do k = 1, d3
    do j = 1, d2
      do i = 1, d1
        dbl_send(i,j,k) = real(100*i + 10*j + k, c_double) + 0.5_c_double
        i8_send(i,j,k) = int(mod(31*i + 7*j + 3*k, 127), c_int8_t)
      end do
    end do
  end do
  flt_send = real(dbl_send, c_float)
  i16_send = -int(dbl_send, c_int16_t)
  i32_send = int(dbl_send, c_int32_t) * 1000
  i64_send = int(dbl_send, c_int64_t) * 10000000000_c_int64_t

  ! --- building the dataset
  call check_code(dataset%initialize("f_dataset "), "initialize dataset (trailing blank trimmed)")
  call check_code(dataset%add_tensor("dbl", dbl_send, shape(dbl_send)), "add dbl")
  call check_code(dataset%add_tensor("flt", flt_send, shape(flt_send)), "add flt")
  call check_code(dataset%add_tensor("i8", i8_send, shape(i8_send)), "add i8")
  call check_code(dataset%add_tensor("i16", i16_send, shape(i16_send)), "add i16")
  call check_code(dataset%add_tensor("i32", i32_send, shape(i32_send)), "add i32")
  call check_code(dataset%add_tensor("i64", i64_send, shape(i64_send)), "add i64")
  call check_code(dataset%add_meta_scalar("m_dbl", 1.5_c_double), "meta dbl 1")
  call check_code(dataset%add_meta_scalar("m_dbl", -2.25_c_double), "meta dbl 2")
  call check_code(dataset%add_meta_scalar("m_flt", 3.5_c_float), "meta flt")
  call check_code(dataset%add_meta_scalar("m_i32", -7_c_int32_t), "meta i32")
  call check_code(dataset%add_meta_scalar("m_i64", -huge(1_c_int64_t)), "meta i64")
  call check_code(dataset%add_meta_string("m_str", "first"), "meta string 1")
  call check_code(dataset%add_meta_string("m_str", "second one  "), "meta string 2")

  call check_dataset(dataset, "local")

  ! --- the dataset in the store
  call check_code(client%dataset_exists("f_dataset", exists), "dataset_exists before put")
  call check(.not. exists, "no dataset before put")
  call check_code(client%poll_dataset("f_dataset", 1, 2, exists), "poll_dataset before put")
  call check(.not. exists, "poll_dataset before put")
  call check_code(client%put_dataset(dataset), "put_dataset")
  call check_code(client%dataset_exists("f_dataset", exists), "dataset_exists")
  call check(exists, "dataset exists after put")
  call check_code(client%poll_dataset("f_dataset", 1, 1, exists), "poll_dataset")
  call check(exists, "poll_dataset after put")
  call check_code(client%key_exists("{f_dataset}.meta", exists), "key_exists meta")
  call check(exists, "the {name}.meta key")
  call check_code(client%key_exists("{f_dataset}.i16", exists), "key_exists tensor")
  call check(exists, "the {name}.<tensor> key")
  ! A dataset tensor is an ordinary tensor in the store, in the same row-major order.
  call check_code(client%unpack_tensor("{f_dataset}.dbl", dbl_recv, shape(dbl_recv)), "unpack dataset tensor key")
  call check(all(dbl_recv == dbl_send), "dataset tensor key contents")

  call check_code(client%get_dataset("f_dataset", fetched), "get_dataset")
  call check_dataset(fetched, "fetched")
  ! get_dataset into a variable that already holds one frees the old one (intent(out) finalizes it).
  call check_code(client%get_dataset("f_dataset", fetched), "get_dataset again")
  call check_dataset(fetched, "fetched again")

  call check_code(client%copy_dataset("f_dataset", "f_dataset_copy"), "copy_dataset")
  call check_code(client%rename_dataset("f_dataset_copy", "f_dataset_moved"), "rename_dataset")
  call check_code(client%dataset_exists("f_dataset_copy", exists), "exists after rename")
  call check(.not. exists, "renamed source is gone")
  call check_code(client%get_dataset("f_dataset_moved", copied), "get renamed")
  call check_dataset(copied, "renamed")
  call check_code(client%delete_dataset("f_dataset_moved"), "delete_dataset")
  call check_code(client%dataset_exists("f_dataset_moved", exists), "exists after delete")
  call check(.not. exists, "deleted dataset is gone")
  call check_code(client%key_exists("{f_dataset_moved}.i64", exists), "tensor key after delete")
  call check(.not. exists, "deleted dataset's tensors are gone")

  ! --- error paths
  call check_code(client%get_dataset("f_absent", copied), "get missing", SRKeyError)
  call check(index(get_last_error(), "f_absent") > 0, "missing dataset named in the error")
  call check(.not. c_associated(copied%get_c_pointer()), "no dataset after a failed get")
  call check_code(client%copy_dataset("f_absent", "x"), "copy missing", SRKeyError)
  call check_code(client%rename_dataset("f_absent", "x"), "rename missing", SRKeyError)
  call check_code(client%delete_dataset("f_absent"), "delete missing", SRKeyError)

  call check_code(empty%initialize("f_empty"), "initialize empty")
  call check_code(client%put_dataset(empty), "put empty dataset", SRRuntimeError)
  call check(index(get_last_error(), "does not contain any fields or tensors") > 0, "empty dataset message")
  call check_code(empty%initialize(""), "empty dataset name", SRParameterError)
  call check_code(dataset%add_tensor("", dbl_send, shape(dbl_send)), "empty tensor name", SRParameterError)
  call check_code(dataset%add_tensor("dbl", dbl_send, shape(dbl_send)), "duplicate tensor", SRRuntimeError)
  call check_code(dataset%add_tensor("neg", dbl_send, [d1, -d2, d3]), "negative dim", SRParameterError)
  call check_code(client%get_dataset("", copied), "get with empty name", SRParameterError)

  call check_code(dataset%unpack_dataset_tensor("dbl", flt_recv, shape(flt_recv)), "wrong type", SRRuntimeError)
  call check_code(dataset%unpack_dataset_tensor("dbl", wrong_recv, shape(wrong_recv)), "wrong dims", &
                  SRRuntimeError)
  call check_code(dataset%unpack_dataset_tensor("nope", dbl_recv, shape(dbl_recv)), "missing tensor", SRKeyError)
  call check_code(dataset%get_tensor_type("nope", ttype), "type of missing tensor", SRKeyError)
  ndims = 4
  call check_code(dataset%get_tensor_dims("nope", dims, ndims), "dims of missing tensor", SRKeyError)
  ndims = 2
  call check_code(dataset%get_tensor_dims("dbl", dims, ndims), "dims buffer too small", SRBadAllocError)
  call check(ndims == 3, "dims needed when the buffer is too small")
  ndims = 5
  call check_code(dataset%get_tensor_dims("dbl", dims, ndims), "dims_length > size(dims)", SRParameterError)
  call check_code(dataset%get_metadata_field_type("nope", mdtype), "type of missing field", SRKeyError)
  call check_code(dataset%get_meta_scalars("nope", dbl_meta), "missing field", SRKeyError)
  call check(.not. associated(dbl_meta), "no values for a missing field")
  call check_code(dataset%get_meta_scalars("m_dbl", i32_meta), "scalars of the wrong kind", SRTypeError)
  call check(.not. associated(i32_meta), "no values for the wrong kind")
  call check_code(dataset%get_meta_scalars("m_str", dbl_meta), "scalars of a string field", SRRuntimeError)
  call check_code(dataset%add_meta_scalar("m_dbl", 1_c_int32_t), "append another kind", SRRuntimeError)
  call check_code(dataset%add_meta_string("m_dbl", "x"), "string into a scalar field", SRRuntimeError)

  ! A dataset that was never initialized (NULL handle) is an error, not a crash.
  call check_code(client%put_dataset(never_initialized), "put uninitialized", SRParameterError)
  call check_code(never_initialized%add_meta_string("m", "x"), "uninitialized add", SRParameterError)
  call check_code(never_initialized%destructor(), "destroy uninitialized")
  ! A client handle where a dataset is expected is reported, not undefined behaviour.
  bogus%dataset_ptr = client%get_c_pointer()
  call check_code(client%put_dataset(bogus), "client as dataset", SRParameterError)
  call check(index(get_last_error(), "not a valid DataSet") > 0, "client-as-dataset message")
  call check_code(bogus%add_tensor("t", dbl_send, shape(dbl_send)), "add_tensor on a client", SRParameterError)
  ! (bogus does not own the handle, so finalizing it leaves the client alone.)

  ! Assignment shares without owning: the original still frees it, exactly once.
  alias = dataset
  call check(c_associated(alias%get_c_pointer(), dataset%get_c_pointer()), "alias shares the dataset")
  call check_code(alias%destructor(), "alias destructor does not free")
  call check_dataset(dataset, "after the alias went away")

  text = dataset%to_string()
  call check(text(1:9) == "DataSet (", "to_string starts with DataSet (")
  call dataset%print_dataset(output_unit)

  call check_code(dataset%destructor(), "destructor")
  call check(.not. c_associated(dataset%get_c_pointer()), "destructor forgets the handle")
  call check_code(dataset%destructor(), "second destructor is a no-op")
  call check_code(client%destructor(), "client destructor")
  write(*, '(A)') "client_test_dataset: OK"

contains

  !> Everything the dataset built above holds, read through every getter.
  subroutine check_dataset(ds, what)
    type(dataset_type), intent(in) :: ds
    character(len=*),   intent(in) :: what

    integer(kind=enum_kind) :: t
    character(len=16), dimension(:), allocatable :: names
    character(len=4), dimension(:), allocatable :: short
    call check_code(ds%unpack_dataset_tensor("dbl", dbl_recv, shape(dbl_recv)), what//": unpack dbl")
    call check(all(dbl_recv == dbl_send), what//": dbl")
    call check_code(ds%unpack_dataset_tensor("flt", flt_recv, shape(flt_recv)), what//": unpack flt")
    call check(all(flt_recv == flt_send), what//": flt")
    call check_code(ds%unpack_dataset_tensor("i8", i8_recv, shape(i8_recv)), what//": unpack i8")
    call check(all(i8_recv == i8_send), what//": i8")
    call check_code(ds%unpack_dataset_tensor("i16", i16_recv, shape(i16_recv)), what//": unpack i16")
    call check(all(i16_recv == i16_send), what//": i16")
    call check_code(ds%unpack_dataset_tensor("i32", i32_recv, shape(i32_recv)), what//": unpack i32")
    call check(all(i32_recv == i32_send), what//": i32")
    call check_code(ds%unpack_dataset_tensor("i64", i64_recv, shape(i64_recv)), what//": unpack i64")
    call check(all(i64_recv == i64_send), what//": i64")
    ! One dimension holding the total element count is accepted, as upstream (the stored order is kept).
    call check_code(ds%unpack_dataset_tensor("dbl", flat_recv, [size(flat_recv)]), what//": unpack flat")
    call check(all(flat_recv == reshape(dbl_send, [size(dbl_send)])), what//": flat contents")

    call check_code(ds%get_tensor_type("dbl", t), what//": type dbl")
    call check(t == tensor_dbl, what//": tensor_dbl")
    call check_code(ds%get_tensor_type("i8", t), what//": type i8")
    call check(t == tensor_int8, what//": tensor_int8")
    call check_code(ds%get_tensor_type("i64", t), what//": type i64")
    call check(t == tensor_int64, what//": tensor_int64")
    dims = 0
    ndims = size(dims)
    call check_code(ds%get_tensor_dims("i16", dims, ndims), what//": dims")
    call check(ndims == 3 .and. all(dims(1:3) == [d1, d2, d3]), what//": dims in Fortran order")

    call check_code(ds%get_meta_scalars("m_dbl", dbl_meta), what//": m_dbl")
    call check(size(dbl_meta) == 2, what//": two doubles")
    call check(dbl_meta(1) == 1.5_c_double .and. dbl_meta(2) == -2.25_c_double, what//": double values")
    call check_code(ds%get_meta_scalars("m_flt", flt_meta), what//": m_flt")
    call check(size(flt_meta) == 1 .and. flt_meta(1) == 3.5_c_float, what//": float value")
    call check_code(ds%get_meta_scalars("m_i32", i32_meta), what//": m_i32")
    call check(size(i32_meta) == 1 .and. i32_meta(1) == -7_c_int32_t, what//": int32 value")
    call check_code(ds%get_meta_scalars("m_i64", i64_meta), what//": m_i64")
    call check(size(i64_meta) == 1 .and. i64_meta(1) == -huge(1_c_int64_t), what//": int64 value")
    call check_code(ds%get_metadata_field_type("m_dbl", t), what//": field type dbl")
    call check(t == meta_dbl, what//": meta_dbl")
    call check_code(ds%get_metadata_field_type("m_i64", t), what//": field type i64")
    call check(t == meta_int64, what//": meta_int64")
    call check_code(ds%get_metadata_field_type("m_str", t), what//": field type str")
    call check(t == meta_string, what//": meta_string")

    call check_code(ds%get_meta_strings("m_str", names), what//": get_meta_strings")
    call check(size(names) == 2, what//": two strings")
    call check(names(1) == "first" .and. names(2) == "second one", what//": string values (trimmed)")
    call check_code(ds%get_meta_strings("m_str", short), what//": truncated strings", SRBadAllocError)
    call check(size(short) == 2 .and. short(1) == "firs" .and. short(2) == "seco", what//": truncated values")
    call check_code(ds%get_tensor_names(names), what//": get_tensor_names")
    call check(size(names) == 6, what//": six tensors")
    call check(names(1) == "dbl" .and. names(3) == "i8" .and. names(6) == "i64", what//": tensor names in order")
    call check_code(ds%get_metadata_field_names(names), what//": get_metadata_field_names")
    call check(size(names) == 5, what//": five fields")
    call check(any(names == "m_dbl") .and. any(names == "m_str") .and. any(names == "m_i64"), what//": field names")
    call check(.not. any(names == ".tensor_names"), what//": no internal field")
  end subroutine check_dataset

end program client_test_dataset
