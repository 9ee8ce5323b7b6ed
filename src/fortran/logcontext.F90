!> smartredis_logcontext: a named logging context, over c_logcontext.h.
module smartredis_logcontext

  use iso_c_binding, only : c_ptr, c_null_ptr, c_size_t, c_associated
  use fortran_c_interop, only : enum_kind

  implicit none
  private

#include "enum_fortran.inc"

  public :: enum_kind

  !> A logging context for the log_data/log_warning/log_error generics. Frees its C object when finalized; a
  !! copy made by assignment shares the object without owning it.
  type, public :: logcontext_type
    type(c_ptr)      :: logcontext_ptr = c_null_ptr !< the C handle
    logical, private :: owner = .false.             !< whether this variable frees the handle
  contains
    procedure :: initialize => initialize_logcontext
    procedure :: get_c_pointer
    procedure :: destructor
    procedure, private :: assign_logcontext
    generic :: assignment(=) => assign_logcontext
    final :: finalize_logcontext
  end type logcontext_type

#include "c_interfaces.inc"

contains

  !> Creates the context, named `context`.
  function initialize_logcontext(self, context) result(code)
    class(logcontext_type), intent(inout) :: self
    character(len=*),       intent(in)    :: context !< the name written in front of each log line
    integer(kind=enum_kind)               :: code

    code = self%destructor()
    code = SmartRedisCLogContext_c(trim(context), len_trim(context, kind=c_size_t), self%logcontext_ptr)
    self%owner = code == SRNoError
  end function initialize_logcontext

  !> The C handle, for passing to the C API.
  function get_c_pointer(self) result(ptr)
    class(logcontext_type), intent(in) :: self
    type(c_ptr)                        :: ptr

    ptr = self%logcontext_ptr
  end function get_c_pointer

  !> Frees the C object if this variable owns it, and forgets the handle. Safe to call more than once.
  function destructor(self) result(code)
    class(logcontext_type), intent(inout) :: self
    integer(kind=enum_kind)               :: code

    code = SRNoError
    if (self%owner .and. c_associated(self%logcontext_ptr)) code = DeallocateLogContext_c(self%logcontext_ptr)
    self%logcontext_ptr = c_null_ptr
    self%owner = .false.
  end function destructor

  !> `lhs = rhs`: `lhs` frees what it owned and then shares `rhs`'s handle without owning it.
  subroutine assign_logcontext(lhs, rhs)
    class(logcontext_type), intent(inout) :: lhs
    type(logcontext_type),  intent(in)    :: rhs

    integer(kind=enum_kind) :: code

    code = lhs%destructor()
    lhs%logcontext_ptr = rhs%logcontext_ptr
  end subroutine assign_logcontext

  !> Frees the C object when the variable goes away.
  subroutine finalize_logcontext(self)
    type(logcontext_type), intent(inout) :: self

    integer(kind=enum_kind) :: code

    code = self%destructor()
  end subroutine finalize_logcontext

end module smartredis_logcontext
