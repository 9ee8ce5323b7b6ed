/* Client construction without a usable store: SSDB unset, unreachable, and the deprecated constructor. */
#include <stdlib.h>
#include <string.h>

#include "c_client.h"
#include "c_configoptions.h"
#include "sr_test.h"

int main(void)
{
  void* c = NULL;
  unsetenv("SSDB");
  CHECK_ERR(SimpleCreateClient("t", 1, &c), SRRuntimeError, "SSDB");
  CHECK(c == NULL);
  CHECK_ERR(SimpleCreateClient("t", 1, NULL), SRParameterError, "new_client");

  /* Nothing listens on port 1: a database error after SR_CONN_TIMEOUT, not a hang. */
  setenv("SSDB", "127.0.0.1:1", 1);
  setenv("SR_DB_TYPE", "Standalone", 1);
  setenv("SR_CONN_TIMEOUT", "1", 1);
  setenv("SR_CONN_INTERVAL", "200", 1);
  CHECK_ERR(SimpleCreateClient("t", 1, &c), SRDatabaseError, "127.0.0.1:1");
  CHECK_ERR(SmartRedisCClient(false, "t", 1, &c), SRDatabaseError, NULL);

  /* Unix sockets are standalone only. */
  setenv("SSDB", "unix:///tmp/none.sock", 1);
  setenv("SR_DB_TYPE", "Clustered", 1);
  CHECK_ERR(SimpleCreateClient("t", 1, &c), SRRuntimeError, "Unix Domain Socket");

  /* CreateClient with a config handle and with a wrong handle. */
  void* cfg = NULL;
  CHECK_OK(create_configoptions_from_environment("", 0, &cfg));
  CHECK_ERR(CreateClient(cfg, "t", 1, &c), SRRuntimeError, NULL);
  CHECK_ERR(CreateClient(NULL, "t", 1, &c), SRParameterError, "config_options");
  int not_a_handle[4] = {0};
  CHECK_ERR(CreateClient(not_a_handle, "t", 1, &c), SRParameterError, "config_options");
  CHECK_OK(sr_configoptions_free(&cfg));
  SR_TEST_END();
}
