!> Consumer test (Fortran), built against an installed prefix only.
!!   consumer_fortran                    a client from the environment stores and reads back a small 2-D array
!!                                       and a dataset holding it (module smartredis_dataset);
!!   consumer_fortran orchestrator DIR   the orchestrator starts a 3-shard store in DIR, a client initialized from
!!                                       it stores and reads back the array, and the store is stopped.
program consumer_fortran
  use iso_c_binding, only : c_double
  use smartredis_client, only : client_type
  use smartredis_dataset, only : dataset_type
  use smartredis_configoptions, only : configoptions_type
  use smartredis_orchestrator, only : orchestrator_options_type, orchestrator_type, SRDbClustered, enum_kind
  use smartredis_errors, only : print_last_error
  implicit none
#include "enum_fortran.inc"
  type(configoptions_type)        :: cfg
  type(orchestrator_options_type) :: opts
  type(orchestrator_type)         :: orc
  type(client_type)               :: client
  type(dataset_type)              :: ds, got
  character(len=512)              :: mode, dir
  integer(kind=enum_kind)         :: dbtype
  real(kind=c_double)             :: send(2,3), recv(2,3)

  send = reshape([1, 2, 3, 4, 5, 6], [2, 3])
  mode = ""
  if (command_argument_count() == 2) call get_command_argument(1, mode)
  if (mode == "orchestrator") then
    call get_command_argument(2, dir)
    if (opts%initialize() /= SRNoError) call fail()
    if (opts%set_shards(3) /= SRNoError) call fail()
    if (opts%set_dir(trim(dir)) /= SRNoError) call fail()
    if (orc%initialize(opts) /= SRNoError) call fail()
    if (orc%start() /= SRNoError) call fail()
    if (orc%db_type(dbtype) /= SRNoError) call fail()
    if (dbtype /= SRDbClustered) error stop "consumer_fortran: not a cluster"
    if (client%initialize(orc, "consumer_fortran") /= SRNoError) call fail()
  else
    if (cfg%create_configoptions_from_environment("") /= SRNoError) call fail()
    if (client%initialize(cfg, "consumer_fortran") /= SRNoError) call fail()
  end if
  if (client%put_tensor("consumer_fortran", send, shape(send)) /= SRNoError) call fail()
  if (client%unpack_tensor("consumer_fortran", recv, shape(recv)) /= SRNoError) call fail()
  if (any(recv /= send)) error stop "consumer_fortran: data differs"
  if (ds%initialize("consumer_fortran_ds") /= SRNoError) call fail()
  if (ds%add_tensor("t", send, shape(send)) /= SRNoError) call fail()
  if (client%put_dataset(ds) /= SRNoError) call fail()
  if (client%get_dataset("consumer_fortran_ds", got) /= SRNoError) call fail()
  recv = 0
  if (got%unpack_dataset_tensor("t", recv, shape(recv)) /= SRNoError) call fail()
  if (any(recv /= send)) error stop "consumer_fortran: dataset data differs"
  if (mode == "orchestrator") then
    if (orc%stop() /= SRNoError) call fail()
  end if
contains
  subroutine fail()
    call print_last_error()
    error stop 1
  end subroutine fail
end program consumer_fortran
