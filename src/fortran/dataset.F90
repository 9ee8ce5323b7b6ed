!> smartredis_dataset: a dataset (named tensors plus metadata, stored as a unit), over c_dataset.h.
!!
!! Names are trimmed (trailing blanks are never significant). Arrays are passed to C in place with their Fortran
!! shape and the column-major layout c_fortran_contiguous, as for client_type%put_tensor: element A(i,j,k) is
!! tensor element [i-1][j-1][k-1].
!!
!! Unlike upstream, `dataset_ptr` starts out NULL, so finalizing a variable that was never initialized is safe,
!! and a copy made by assignment shares the dataset without owning it (only the variable that created or received
!! it frees it), so a dataset is never freed twice.
module smartredis_dataset

  use iso_c_binding, only : c_ptr, c_null_ptr, c_char, c_size_t, c_int, c_associated, c_loc, c_f_pointer, &
                            c_int8_t, c_int16_t, c_int32_t, c_int64_t, c_float, c_double
  use iso_fortran_env, only : stderr => error_unit
  use fortran_c_interop, only : enum_kind, c_string_to_fortran, c_buffer_to_fortran

  implicit none
  private

#include "enum_fortran.inc"

  public :: enum_kind

  !> Named tensors and metadata fields, put into and read from the store as a unit (client_type%put_dataset,
  !! get_dataset, append_to_list, ...).
  type, public :: dataset_type
    type(c_ptr) :: dataset_ptr = c_null_ptr !< the C handle (public, as upstream)
    logical, private :: owner = .false.     !< whether this variable frees the dataset
  contains
    procedure :: initialize => initialize_dataset
    procedure :: destructor
    procedure :: get_c_pointer
    procedure :: adopt_c_pointer

    procedure :: add_meta_string
    generic :: add_meta_scalar => add_meta_scalar_double, add_meta_scalar_float, add_meta_scalar_i32, &
                                  add_meta_scalar_i64
    generic :: get_meta_scalars => get_meta_scalars_double, get_meta_scalars_float, get_meta_scalars_i32, &
                                   get_meta_scalars_i64
    procedure :: get_meta_strings
    procedure :: get_metadata_field_names
    procedure :: get_metadata_field_type

    generic :: add_tensor => add_tensor_i8, add_tensor_i16, add_tensor_i32, add_tensor_i64, &
                             add_tensor_float, add_tensor_double
    generic :: unpack_dataset_tensor => unpack_dataset_tensor_i8, unpack_dataset_tensor_i16, &
                                        unpack_dataset_tensor_i32, unpack_dataset_tensor_i64, &
                                        unpack_dataset_tensor_float, unpack_dataset_tensor_double
    procedure :: get_tensor_names
    procedure :: get_tensor_type
    procedure :: get_tensor_dims
    procedure :: to_string
    procedure :: print_dataset

    procedure, private :: add_tensor_i8, add_tensor_i16, add_tensor_i32, add_tensor_i64
    procedure, private :: add_tensor_float, add_tensor_double
    procedure, private :: unpack_dataset_tensor_i8, unpack_dataset_tensor_i16, unpack_dataset_tensor_i32
    procedure, private :: unpack_dataset_tensor_i64, unpack_dataset_tensor_float, unpack_dataset_tensor_double
    procedure, private :: add_meta_scalar_double, add_meta_scalar_float, add_meta_scalar_i32, add_meta_scalar_i64
    procedure, private :: get_meta_scalars_double, get_meta_scalars_float, get_meta_scalars_i32
    procedure, private :: get_meta_scalars_i64
    procedure, private :: assign_dataset
    generic :: assignment(=) => assign_dataset
    final :: finalize_dataset
  end type dataset_type

#include "c_interfaces.inc"

contains

  !> Creates an empty dataset called `name` (freeing the one this variable owned, if any).
  function initialize_dataset(self, name) result(code)
    class(dataset_type), intent(inout) :: self
    character(len=*),    intent(in)    :: name
    integer(kind=enum_kind)            :: code

    code = self%destructor()
    code = CDataSet_c(trim(name), len_trim(name, kind=c_size_t), self%dataset_ptr)
    self%owner = code == SRNoError
  end function initialize_dataset

  !> Frees the dataset if this variable owns it, and forgets it. Safe to call more than once.
  function destructor(self) result(code)
    class(dataset_type), intent(inout) :: self
    integer(kind=enum_kind)            :: code

    code = SRNoError
    if (self%owner .and. c_associated(self%dataset_ptr)) code = DeallocateDataSet_c(self%dataset_ptr)
    self%dataset_ptr = c_null_ptr
    self%owner = .false.
  end function destructor

  !> The C handle, for passing to the C API.
  function get_c_pointer(self) result(ptr)
    class(dataset_type), intent(in) :: self
    type(c_ptr)                     :: ptr

    ptr = self%dataset_ptr
  end function get_c_pointer

  !> Takes ownership of `ptr`, a DataSet handle returned by the C API (this variable will free it). Not part of
  !! upstream SmartRedis.
  subroutine adopt_c_pointer(self, ptr)
    class(dataset_type), intent(inout) :: self
    type(c_ptr),         intent(in)    :: ptr

    integer(kind=enum_kind) :: code

    code = self%destructor()
    self%dataset_ptr = ptr
    self%owner = c_associated(ptr)
  end subroutine adopt_c_pointer

  !> Appends the string `meta` (trimmed) to string metadata field `name` (created if missing).
  function add_meta_string(self, name, meta) result(code)
    class(dataset_type), intent(in) :: self
    character(len=*),    intent(in) :: name
    character(len=*),    intent(in) :: meta
    integer(kind=enum_kind)         :: code

    code = add_meta_string_c(self%dataset_ptr, trim(name), len_trim(name, kind=c_size_t), trim(meta), &
                             len_trim(meta, kind=c_size_t))
  end function add_meta_string

  !> The strings of string metadata field `name`, in the order they were added, one per element of `strings`
  !! (blank-padded to the caller's length). A string longer than that is truncated and the code is
  !! SRBadAllocError. Not in upstream's Fortran API.
  function get_meta_strings(self, name, strings) result(code)
    class(dataset_type),                         intent(in)  :: self
    character(len=*),                            intent(in)  :: name
    character(len=*), dimension(:), allocatable, intent(out) :: strings
    integer(kind=enum_kind)                                  :: code

    type(c_ptr) :: data, lengths
    integer(kind=c_size_t) :: n

    data = c_null_ptr
    lengths = c_null_ptr
    n = 0
    code = get_meta_strings_c(self%dataset_ptr, trim(name), len_trim(name, kind=c_size_t), data, n, lengths)
    call strings_from_c(code, data, n, lengths, strings)
  end function get_meta_strings

  !> The names of the metadata fields (not the internal `.tensor_names`), as in get_meta_strings. Not in
  !! upstream's Fortran API.
  function get_metadata_field_names(self, names) result(code)
    class(dataset_type),                         intent(in)  :: self
    character(len=*), dimension(:), allocatable, intent(out) :: names
    integer(kind=enum_kind)                                  :: code

    type(c_ptr) :: data, lengths
    integer(kind=c_size_t) :: n

    data = c_null_ptr
    lengths = c_null_ptr
    n = 0
    code = get_metadata_field_names_c(self%dataset_ptr, data, n, lengths)
    call strings_from_c(code, data, n, lengths, names)
  end function get_metadata_field_names

  !> The type (meta_dbl, ..., meta_string) of metadata field `name`.
  function get_metadata_field_type(self, name, mdtype) result(code)
    class(dataset_type),     intent(in)  :: self
    character(len=*),        intent(in)  :: name
    integer(kind=enum_kind), intent(out) :: mdtype
    integer(kind=enum_kind)              :: code

    mdtype = meta_invalid
    code = get_metadata_field_type_c(self%dataset_ptr, trim(name), len_trim(name, kind=c_size_t), mdtype)
  end function get_metadata_field_type

  !> The names of the dataset's tensors in the order they were added, as in get_meta_strings. Not in upstream's
  !! Fortran API.
  function get_tensor_names(self, names) result(code)
    class(dataset_type),                         intent(in)  :: self
    character(len=*), dimension(:), allocatable, intent(out) :: names
    integer(kind=enum_kind)                                  :: code

    type(c_ptr) :: data, lengths
    integer(kind=c_size_t) :: n

    data = c_null_ptr
    lengths = c_null_ptr
    n = 0
    code = get_tensor_names_c(self%dataset_ptr, data, n, lengths)
    call strings_from_c(code, data, n, lengths, names)
  end function get_tensor_names

  !> The type (tensor_dbl, ..., tensor_int64) of tensor `name`.
  function get_tensor_type(self, name, ttype) result(code)
    class(dataset_type),     intent(in)  :: self
    character(len=*),        intent(in)  :: name
    integer(kind=enum_kind), intent(out) :: ttype
    integer(kind=enum_kind)              :: code

    ttype = tensor_invalid
    code = get_tensor_type_c(self%dataset_ptr, trim(name), len_trim(name, kind=c_size_t), ttype)
  end function get_tensor_type

  !> The dimensions of tensor `name` (in the order given to add_tensor). `dims_length` is the number of entries
  !! of `dims` that may be written on entry and the number of dimensions on return; if `dims` is too small the
  !! code is SRBadAllocError and `dims_length` is the number needed. A `dims_length` larger than `size(dims)`
  !! is SRParameterError (upstream stops the program).
  function get_tensor_dims(self, name, dims, dims_length) result(code)
    class(dataset_type),   intent(in)    :: self
    character(len=*),      intent(in)    :: name
    integer, dimension(:), intent(inout) :: dims
    integer,               intent(inout) :: dims_length
    integer(kind=enum_kind)              :: code

    integer(kind=c_size_t), dimension(max(size(dims), 1)), target :: c_dims
    integer(kind=c_size_t) :: c_length
    type(c_ptr) :: dims_ptr

    if (dims_length > size(dims) .or. dims_length < 0) then
      code = SRParameterError
      return
    end if
    c_dims = 0
    dims_ptr = c_loc(c_dims)
    c_length = int(dims_length, kind=c_size_t)
    code = get_tensor_dims_c(self%dataset_ptr, trim(name), len_trim(name, kind=c_size_t), dims_ptr, c_length)
    if (code == SRNoError) dims(1:c_length) = int(c_dims(1:c_length), kind(dims))
    if (code == SRNoError .or. code == SRBadAllocError) dims_length = int(c_length, kind(dims_length))
  end function get_tensor_dims

  !> A description of the dataset, starting with "DataSet (<name>):".
  function to_string(self) result(text)
    class(dataset_type), intent(in)             :: self
    character(kind=c_char, len=:), allocatable :: text

    text = c_string_to_fortran(dataset_to_string_c(self%dataset_ptr))
  end function to_string

  !> Writes to_string() to `unit` (default: standard error).
  subroutine print_dataset(self, unit)
    class(dataset_type), intent(in) :: self
    integer, optional,   intent(in) :: unit

    integer :: out

    out = stderr
    if (present(unit)) out = unit
    write(out, '(A)') self%to_string()
  end subroutine print_dataset

#include "dataset_methods.inc"

  !> Copies `n` C strings (`data`, with `lengths`, owned by the dataset) into `strings`; none after an error.
  !! `code` becomes SRBadAllocError if one had to be truncated to the length of `strings`.
  subroutine strings_from_c(code, data, n, lengths, strings)
    integer(kind=enum_kind),                     intent(inout) :: code
    type(c_ptr),                                 intent(in)    :: data
    integer(kind=c_size_t),                      intent(in)    :: n
    type(c_ptr),                                 intent(in)    :: lengths
    character(len=*), dimension(:), allocatable, intent(out)   :: strings

    type(c_ptr), dimension(:), pointer :: ptrs
    integer(kind=c_size_t), dimension(:), pointer :: lens
    integer :: i

    if (code /= SRNoError .or. n == 0 .or. .not. c_associated(data)) then
      allocate(strings(0))
      return
    end if
    call c_f_pointer(data, ptrs, [n])
    call c_f_pointer(lengths, lens, [n])
    allocate(strings(n))
    do i = 1, int(n)
      strings(i) = c_buffer_to_fortran(ptrs(i), lens(i))
    end do
    if (maxval(lens) > len(strings)) code = SRBadAllocError
  end subroutine strings_from_c

  !> `lhs = rhs`: `lhs` frees what it owned and then shares `rhs`'s dataset without owning it.
  impure elemental subroutine assign_dataset(lhs, rhs)
    class(dataset_type), intent(inout) :: lhs
    type(dataset_type),  intent(in)    :: rhs

    integer(kind=enum_kind) :: code

    code = lhs%destructor()
    lhs%dataset_ptr = rhs%dataset_ptr
  end subroutine assign_dataset

  !> Frees the dataset when the variable (or an array of them) goes away.
  impure elemental subroutine finalize_dataset(self)
    type(dataset_type), intent(inout) :: self

    integer(kind=enum_kind) :: code

    code = self%destructor()
  end subroutine finalize_dataset

end module smartredis_dataset
