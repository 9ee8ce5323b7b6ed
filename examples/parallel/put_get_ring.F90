!> MPI example (Fortran): every rank stores a 3-D array under its own key, waits for the array of the next rank
!! (poll_tensor), reads it back with unpack_tensor and checks it. Run with `mpirun -n 2` or more.
program put_get_ring

  use mpi
  use iso_c_binding, only : c_double
  use smartredis_client, only : client_type
  use smartredis_errors, only : print_last_error

  implicit none

#include "enum_fortran.inc"

  integer, parameter :: dim1 = 4, dim2 = 3, dim3 = 2
  real(kind=c_double) :: mine(dim1, dim2, dim3), theirs(dim1, dim2, dim3)
  type(client_type) :: client
  character(len=32) :: key, logger_name
  integer :: rank, nranks, next, ierr, status, worst, i
  logical :: found

  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, nranks, ierr)

  mine = reshape([(real(rank * 1000 + i, c_double), i = 1, dim1 * dim2 * dim3)], shape(mine))
  next = mod(rank + 1, nranks)
  status = 1

  write(logger_name, '(A,I0)') "put_get_ring_f_", rank
  if (client%initialize(logger_name) == SRNoError) then
    write(key, '(A,I0)') "ring_f_", rank
    if (client%put_tensor(key, mine, shape(mine)) == SRNoError) then
      write(key, '(A,I0)') "ring_f_", next
      if (client%poll_tensor(key, 50, 200, found) == SRNoError .and. found) then
        if (client%unpack_tensor(key, theirs, shape(theirs)) == SRNoError) then
          if (all(theirs == reshape([(real(next * 1000 + i, c_double), i = 1, size(theirs))], shape(theirs)))) &
            status = 0
        end if
      end if
    end if
  end if
  if (status /= 0) call print_last_error()

  call MPI_Allreduce(status, worst, 1, MPI_INTEGER, MPI_MAX, MPI_COMM_WORLD, ierr)
  if (rank == 0 .and. worst == 0) write(*, '(A,I0,A)') "Fortran MPI example: ", nranks, " ranks exchanged arrays"
  call MPI_Finalize(ierr)
  if (worst /= 0) error stop 1

end program put_get_ring
