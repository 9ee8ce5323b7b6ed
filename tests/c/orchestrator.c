/* The orchestrator C API: start a 3-shard cluster, check address, type, status and CONFIG SET, stop it; bad
 * handles are errors; partial slot coverage. Usage: orchestrator <working dir>. The module is found next to libsmartredis.so. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "smartredis.h"
#include "sr_test.h"

int main(int argc, char** argv)
{
  void* opts = NULL;
  void* orc = NULL;
  const char* address = NULL;
  size_t address_len = 0, n_shards = 0;
  SRDbType type = SRDbStandalone;
  SRShardState states[8];
  bool active = false;
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  CHECK_OK(sr_orchestrator_options_new(&opts));
  CHECK_OK(sr_orchestrator_options_set_shards(opts, 3));
  CHECK_OK(sr_orchestrator_options_set_dir(opts, argv[1], strlen(argv[1])));
  CHECK_OK(sr_orchestrator_options_set_module_threads(opts, 1, 0, 0));
  CHECK_OK(sr_orchestrator_options_set_partial_coverage(opts, true));
  CHECK_OK(sr_orchestrator_new(opts, &orc));
  CHECK_OK(sr_orchestrator_options_free(&opts));
  CHECK(opts == NULL);
  /* Live shards keep serving their slots when one is down. */
  {
    const char* plan = NULL;
    size_t plan_len = 0;
    CHECK_OK(sr_orchestrator_dry_run(orc, &plan, &plan_len));
    CHECK(plan != NULL && strstr(plan, "cluster-require-full-coverage no") != NULL);
  }
  CHECK_OK(sr_orchestrator_start(orc));
  CHECK_OK(sr_orchestrator_address(orc, &address, &address_len));
  CHECK_OK(sr_orchestrator_db_type(orc, &type));
  CHECK_OK(sr_orchestrator_is_active(orc, &active));
  CHECK_OK(sr_orchestrator_status(orc, states, 8, &n_shards));
  CHECK_OK(sr_orchestrator_config_set(orc, "maxclients", 10, "2000", 4));
  printf("SSDB=%s\nSR_DB_TYPE=%s\nactive=%d shards=%zu\n", address ? address : "(null)",
         type == SRDbClustered ? "Clustered" : "Standalone", (int)active, n_shards);
  CHECK(type == SRDbClustered);
  CHECK(active);
  CHECK(n_shards == 3);
  CHECK(address != NULL && strlen(address) == address_len);
  for (size_t i = 0; i < n_shards && i < 8; i++)
    CHECK(states[i] == SRShardRunning);
  /* A client connected to it stores a tensor in the cluster. */
  {
    void* client = NULL;
    double data[6] = {1, 2, 3, 4, 5, 6};
    size_t dims[2] = {2, 3};
    bool exists = false;
    CHECK_OK(sr_orchestrator_create_client(orc, "orc-c", 5, &client));
    CHECK_OK(put_tensor(client, "orc_tensor", 10, data, dims, 2, SRTensorTypeDouble, SRMemLayoutContiguous));
    CHECK_OK(tensor_exists(client, "orc_tensor", 10, &exists));
    CHECK(exists);
    CHECK_OK(DeleteCClient(&client));
  }
  /* An unknown CONFIG name is a database error naming the shard. */
  CHECK_ERR(sr_orchestrator_config_set(orc, "no-such-name", 12, "1", 1), SRDatabaseError, "shard 0");
  CHECK_OK(sr_orchestrator_stop(orc));
  CHECK_OK(sr_orchestrator_is_active(orc, &active));
  CHECK(!active);
  /* Wrong handles are errors, not crashes. */
  CHECK_ERR(sr_orchestrator_start(NULL), SRParameterError, "orchestrator");
  CHECK_OK(sr_orchestrator_options_new(&opts));
  CHECK_ERR(sr_orchestrator_start(opts), SRParameterError, "not a valid orchestrator");
  CHECK_OK(sr_orchestrator_free(&orc));
  CHECK(orc == NULL);
  CHECK_OK(sr_orchestrator_options_free(&opts));
  /* Freeing through the same variable again is a no-op; no variable at all is an error. */
  CHECK_OK(sr_orchestrator_free(&orc));
  CHECK_OK(sr_orchestrator_options_free(&opts));
  CHECK_ERR(sr_orchestrator_free(NULL), SRParameterError, "orchestrator");
  CHECK_ERR(sr_orchestrator_options_free(NULL), SRParameterError, "options");
  SR_TEST_END();
}
