#!/usr/bin/env python3
"""Generates the kind-specific procedures behind the generics of the Fortran modules, one per Fortran kind:
client_tensor_methods.inc (put_tensor, unpack_tensor of smartredis_client) and dataset_methods.inc (add_tensor,
unpack_dataset_tensor, add_meta_scalar, get_meta_scalars of smartredis_dataset). Each forwards to one shared
helper, so only the declarations differ.

Usage: gen_tensor_methods.py [OUTDIR]   (default: the directory of this script)
The outputs are committed; the ctest `fortran.generated_up_to_date` fails if they drift from this script.
"""
import pathlib
import sys

# (procedure suffix, Fortran type, tensor type enumerator of enum_fortran.inc)
KINDS = [
    ("i8", "integer(kind=c_int8_t)", "tensor_int8"),
    ("i16", "integer(kind=c_int16_t)", "tensor_int16"),
    ("i32", "integer(kind=c_int32_t)", "tensor_int32"),
    ("i64", "integer(kind=c_int64_t)", "tensor_int64"),
    ("float", "real(kind=c_float)", "tensor_flt"),
    ("double", "real(kind=c_double)", "tensor_dbl"),
]

PUT = """\
  !> Stores `data` (any rank, {ftype}) as tensor `name` with shape `dims`.
  function put_tensor_{sfx}(self, name, data, dims) result(code)
    class(client_type),                     intent(in) :: self
    character(len=*),                       intent(in) :: name
    {ftype}, dimension(..), target, contiguous, intent(in) :: data
    integer, dimension(:),                  intent(in) :: dims
    integer(kind=enum_kind)                            :: code

    code = put_tensor_any(self, name, c_loc(data), dims, {ttype})
  end function put_tensor_{sfx}

"""

UNPACK = """\
  !> Reads tensor `name` into `result` (any rank, {ftype}) of shape `dims`.
  function unpack_tensor_{sfx}(self, name, result, dims) result(code)
    class(client_type),                     intent(in)  :: self
    character(len=*),                       intent(in)  :: name
    {ftype}, dimension(..), target, contiguous, intent(out) :: result
    integer, dimension(:),                  intent(in)  :: dims
    integer(kind=enum_kind)                             :: code

    code = unpack_tensor_any(self, name, c_loc(result), dims, {ttype})
  end function unpack_tensor_{sfx}

"""

HELPERS = """\
  !> put_tensor for any kind: `data` is the address of a contiguous column-major array of shape `dims`.
  function put_tensor_any(self, name, data, dims, tensor_type) result(code)
    class(client_type),      intent(in) :: self
    character(len=*),        intent(in) :: name
    type(c_ptr),             intent(in) :: data
    integer, dimension(:),   intent(in) :: dims
    integer(kind=enum_kind), intent(in) :: tensor_type
    integer(kind=enum_kind)             :: code

    integer(kind=c_size_t), dimension(size(dims)) :: c_dims

    c_dims = int(dims, kind=c_size_t)
    code = put_tensor_c(self%client_ptr, trim(name), len_trim(name, kind=c_size_t), data, c_dims, &
                        size(dims, kind=c_size_t), tensor_type, c_fortran_contiguous)
  end function put_tensor_any

  !> unpack_tensor for any kind: `result` is the address of a contiguous column-major array of shape `dims`.
  function unpack_tensor_any(self, name, result, dims, tensor_type) result(code)
    class(client_type),      intent(in) :: self
    character(len=*),        intent(in) :: name
    type(c_ptr),             intent(in) :: result
    integer, dimension(:),   intent(in) :: dims
    integer(kind=enum_kind), intent(in) :: tensor_type
    integer(kind=enum_kind)             :: code

    integer(kind=c_size_t), dimension(size(dims)) :: c_dims

    c_dims = int(dims, kind=c_size_t)
    code = unpack_tensor_c(self%client_ptr, trim(name), len_trim(name, kind=c_size_t), result, c_dims, &
                           size(dims, kind=c_size_t), tensor_type, c_fortran_contiguous)
  end function unpack_tensor_any
"""


# (procedure suffix, Fortran type, metadata type enumerator of enum_fortran.inc): upstream's four scalar kinds.
META_KINDS = [
    ("double", "real(kind=c_double)", "meta_dbl"),
    ("float", "real(kind=c_float)", "meta_flt"),
    ("i32", "integer(kind=c_int32_t)", "meta_int32"),
    ("i64", "integer(kind=c_int64_t)", "meta_int64"),
]

ADD_TENSOR = """\
  !> Adds `data` (any rank, {ftype}) to the dataset as tensor `name` with shape `dims`; the dataset keeps a copy.
  function add_tensor_{sfx}(self, name, data, dims) result(code)
    class(dataset_type),                    intent(in) :: self
    character(len=*),                       intent(in) :: name
    {ftype}, dimension(..), target, contiguous, intent(in) :: data
    integer, dimension(:),                  intent(in) :: dims
    integer(kind=enum_kind)                            :: code

    code = add_tensor_any(self, name, c_loc(data), dims, {ttype})
  end function add_tensor_{sfx}

"""

UNPACK_DATASET = """\
  !> Copies tensor `name` of the dataset into `result` (any rank, {ftype}) of shape `dims`.
  function unpack_dataset_tensor_{sfx}(self, name, result, dims) result(code)
    class(dataset_type),                    intent(in)  :: self
    character(len=*),                       intent(in)  :: name
    {ftype}, dimension(..), target, contiguous, intent(out) :: result
    integer, dimension(:),                  intent(in)  :: dims
    integer(kind=enum_kind)                             :: code

    code = unpack_dataset_tensor_any(self, name, c_loc(result), dims, {ttype})
  end function unpack_dataset_tensor_{sfx}

"""

ADD_META = """\
  !> Appends `meta` ({ftype}) to scalar metadata field `name` (created if missing).
  function add_meta_scalar_{sfx}(self, name, meta) result(code)
    class(dataset_type),  intent(in) :: self
    character(len=*),     intent(in) :: name
    {ftype}, target, intent(in) :: meta
    integer(kind=enum_kind)          :: code

    code = add_meta_scalar_c(self%dataset_ptr, trim(name), len_trim(name, kind=c_size_t), c_loc(meta), {mtype})
  end function add_meta_scalar_{sfx}

"""

GET_META = """\
  !> Points `meta` at the values of scalar metadata field `name`, which must hold {ftype} values ({mtype});
  !! otherwise `meta` is nullified and the code is SRTypeError. The memory belongs to the dataset: it stays valid
  !! until the field is changed or the dataset is destroyed.
  function get_meta_scalars_{sfx}(self, name, meta) result(code)
    class(dataset_type),                 intent(in) :: self
    character(len=*),                    intent(in) :: name
    {ftype}, dimension(:), pointer :: meta
    integer(kind=enum_kind)                         :: code

    type(c_ptr) :: values
    integer(kind=c_size_t) :: length

    code = get_meta_scalars_any(self, name, {mtype}, values, length)
    nullify(meta)
    if (code == SRNoError) call c_f_pointer(values, meta, [length])
  end function get_meta_scalars_{sfx}

"""

DATASET_HELPERS = """\
  !> add_tensor for any kind: `data` is the address of a contiguous column-major array of shape `dims`.
  function add_tensor_any(self, name, data, dims, tensor_type) result(code)
    class(dataset_type),     intent(in) :: self
    character(len=*),        intent(in) :: name
    type(c_ptr),             intent(in) :: data
    integer, dimension(:),   intent(in) :: dims
    integer(kind=enum_kind), intent(in) :: tensor_type
    integer(kind=enum_kind)             :: code

    integer(kind=c_size_t), dimension(size(dims)) :: c_dims

    c_dims = int(dims, kind=c_size_t)
    code = add_tensor_c(self%dataset_ptr, trim(name), len_trim(name, kind=c_size_t), data, c_dims, &
                        size(dims, kind=c_size_t), tensor_type, c_fortran_contiguous)
  end function add_tensor_any

  !> unpack_dataset_tensor for any kind: `result` is the address of a contiguous column-major array of shape
  !! `dims`.
  function unpack_dataset_tensor_any(self, name, result, dims, tensor_type) result(code)
    class(dataset_type),     intent(in) :: self
    character(len=*),        intent(in) :: name
    type(c_ptr),             intent(in) :: result
    integer, dimension(:),   intent(in) :: dims
    integer(kind=enum_kind), intent(in) :: tensor_type
    integer(kind=enum_kind)             :: code

    integer(kind=c_size_t), dimension(size(dims)) :: c_dims

    c_dims = int(dims, kind=c_size_t)
    code = unpack_dataset_tensor_c(self%dataset_ptr, trim(name), len_trim(name, kind=c_size_t), result, c_dims, &
                                   size(dims, kind=c_size_t), tensor_type, c_fortran_contiguous)
  end function unpack_dataset_tensor_any

  !> get_meta_scalars for any kind: the address and count of the values of field `name`, which must have type
  !! `want` (else SRTypeError).
  function get_meta_scalars_any(self, name, want, values, length) result(code)
    class(dataset_type),     intent(in)  :: self
    character(len=*),        intent(in)  :: name
    integer(kind=enum_kind), intent(in)  :: want
    type(c_ptr),             intent(out) :: values
    integer(kind=c_size_t),  intent(out) :: length
    integer(kind=enum_kind)              :: code

    integer(kind=enum_kind) :: got

    values = c_null_ptr
    length = 0
    got = meta_invalid
    code = get_meta_scalars_c(self%dataset_ptr, trim(name), len_trim(name, kind=c_size_t), length, got, values)
    if (code == SRNoError .and. got /= want) code = SRTypeError
  end function get_meta_scalars_any
"""


def generate() -> str:
    """client_tensor_methods.inc"""
    out = ["! Generated by gen_tensor_methods.py: do not edit; edit the generator and rerun it.\n\n"]
    for sfx, ftype, ttype in KINDS:
        out.append(PUT.format(sfx=sfx, ftype=ftype, ttype=ttype))
    for sfx, ftype, ttype in KINDS:
        out.append(UNPACK.format(sfx=sfx, ftype=ftype, ttype=ttype))
    out.append(HELPERS)
    return "".join(out)


def generate_dataset() -> str:
    """dataset_methods.inc"""
    out = ["! Generated by gen_tensor_methods.py: do not edit; edit the generator and rerun it.\n\n"]
    for sfx, ftype, ttype in KINDS:
        out.append(ADD_TENSOR.format(sfx=sfx, ftype=ftype, ttype=ttype))
    for sfx, ftype, ttype in KINDS:
        out.append(UNPACK_DATASET.format(sfx=sfx, ftype=ftype, ttype=ttype))
    for sfx, ftype, mtype in META_KINDS:
        out.append(ADD_META.format(sfx=sfx, ftype=ftype, mtype=mtype))
    for sfx, ftype, mtype in META_KINDS:
        out.append(GET_META.format(sfx=sfx, ftype=ftype, mtype=mtype))
    out.append(DATASET_HELPERS)
    return "".join(out)


OUTPUTS = {"client_tensor_methods.inc": generate, "dataset_methods.inc": generate_dataset}

if __name__ == "__main__":
    outdir = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).parent
    for name, make in OUTPUTS.items():
        (outdir / name).write_text(make())
