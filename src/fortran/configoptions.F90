!> smartredis_configoptions: configuration options read from the environment, over c_configoptions.h.
module smartredis_configoptions

  use iso_c_binding, only : c_ptr, c_null_ptr, c_size_t, c_int64_t, c_bool, c_associated
  use fortran_c_interop, only : enum_kind, c_buffer_to_fortran

  implicit none
  private

#include "enum_fortran.inc"

  public :: enum_kind

  !> Configuration options of one database. Frees its C object when finalized; a copy made by assignment
  !! shares the object without owning it.
  type, public :: configoptions_type
    type(c_ptr)      :: configoptions_ptr = c_null_ptr !< the C handle
    logical, private :: owner = .false.                !< whether this variable frees the handle
  contains
    procedure :: create_configoptions_from_environment
    procedure :: get_integer_option
    procedure :: get_string_option
    procedure :: is_configured
    procedure :: override_integer_option
    procedure :: override_string_option
    procedure :: get_c_pointer
    procedure :: destructor
    procedure, private :: assign_configoptions
    generic :: assignment(=) => assign_configoptions
    final :: finalize_configoptions
  end type configoptions_type

#include "c_interfaces.inc"

contains

  !> Reads the options from the environment; a non-blank `db_suffix` reads "<VAR>_<db_suffix>" variables.
  function create_configoptions_from_environment(self, db_suffix) result(code)
    class(configoptions_type), intent(inout) :: self
    character(len=*),          intent(in)    :: db_suffix !< database suffix ('' for the default database)
    integer(kind=enum_kind)                  :: code

    code = self%destructor()
    code = create_configoptions_from_environment_c(trim(db_suffix), len_trim(db_suffix, kind=c_size_t), &
                                                   self%configoptions_ptr)
    self%owner = code == SRNoError
  end function create_configoptions_from_environment

  !> The integer value of option `option_name` (SRKeyError if it is not set).
  function get_integer_option(self, option_name, result) result(code)
    class(configoptions_type), intent(in)    :: self
    character(len=*),          intent(in)    :: option_name
    integer(kind=c_int64_t),   intent(inout) :: result !< the value
    integer(kind=enum_kind)                  :: code

    integer(kind=c_int64_t) :: value

    code = get_integer_option_c(self%configoptions_ptr, trim(option_name), &
                                len_trim(option_name, kind=c_size_t), value)
    if (code == SRNoError) result = value
  end function get_integer_option

  !> The string value of option `option_name` (SRKeyError if it is not set).
  function get_string_option(self, option_name, result) result(code)
    class(configoptions_type),     intent(in)  :: self
    character(len=*),              intent(in)  :: option_name
    character(len=:), allocatable, intent(out) :: result !< the value
    integer(kind=enum_kind)                    :: code

    type(c_ptr)            :: buffer
    integer(kind=c_size_t) :: length

    code = get_string_option_c(self%configoptions_ptr, trim(option_name), &
                               len_trim(option_name, kind=c_size_t), buffer, length)
    if (code == SRNoError) then
      result = c_buffer_to_fortran(buffer, length)
    else
      result = ''
    end if
  end function get_string_option

  !> Whether option `option_name` has a value.
  function is_configured(self, option_name, result) result(code)
    class(configoptions_type), intent(in)    :: self
    character(len=*),          intent(in)    :: option_name
    logical,                   intent(inout) :: result !< whether it is set
    integer(kind=enum_kind)                  :: code

    logical(kind=c_bool) :: c_result

    code = is_configured_c(self%configoptions_ptr, trim(option_name), len_trim(option_name, kind=c_size_t), &
                           c_result)
    if (code == SRNoError) result = c_result
  end function is_configured

  !> Sets option `option_name` to `value` for this object only.
  function override_integer_option(self, option_name, value) result(code)
    class(configoptions_type), intent(in) :: self
    character(len=*),          intent(in) :: option_name
    integer(kind=c_int64_t),   intent(in) :: value
    integer(kind=enum_kind)               :: code

    code = override_integer_option_c(self%configoptions_ptr, trim(option_name), &
                                     len_trim(option_name, kind=c_size_t), value)
  end function override_integer_option

  !> Sets option `option_name` to `value` (trailing blanks removed) for this object only.
  function override_string_option(self, option_name, value) result(code)
    class(configoptions_type), intent(in) :: self
    character(len=*),          intent(in) :: option_name
    character(len=*),          intent(in) :: value
    integer(kind=enum_kind)               :: code

    code = override_string_option_c(self%configoptions_ptr, trim(option_name), &
                                    len_trim(option_name, kind=c_size_t), trim(value), &
                                    len_trim(value, kind=c_size_t))
  end function override_string_option

  !> The C handle, for passing to the C API.
  function get_c_pointer(self) result(ptr)
    class(configoptions_type), intent(in) :: self
    type(c_ptr)                           :: ptr

    ptr = self%configoptions_ptr
  end function get_c_pointer

  !> Frees the C object if this variable owns it, and forgets the handle. Safe to call more than once.
  function destructor(self) result(code)
    class(configoptions_type), intent(inout) :: self
    integer(kind=enum_kind)                  :: code

    code = SRNoError
    if (self%owner .and. c_associated(self%configoptions_ptr)) &
      code = sr_configoptions_free_c(self%configoptions_ptr)
    self%configoptions_ptr = c_null_ptr
    self%owner = .false.
  end function destructor

  !> `lhs = rhs`: `lhs` frees what it owned and then shares `rhs`'s handle without owning it.
  subroutine assign_configoptions(lhs, rhs)
    class(configoptions_type), intent(inout) :: lhs
    type(configoptions_type),  intent(in)    :: rhs

    integer(kind=enum_kind) :: code

    code = lhs%destructor()
    lhs%configoptions_ptr = rhs%configoptions_ptr
  end subroutine assign_configoptions

  !> Frees the C object when the variable goes away.
  subroutine finalize_configoptions(self)
    type(configoptions_type), intent(inout) :: self

    integer(kind=enum_kind) :: code

    code = self%destructor()
  end subroutine finalize_configoptions

end module smartredis_configoptions
