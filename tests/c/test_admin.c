/* Admin calls through the C API against a live store (standalone, unix and cluster): sr_get_db_node_info,
 * sr_get_db_cluster_info, sr_get_ai_info, sr_config_get, sr_config_set, sr_save, sr_flush_db on every node of
 * SSDB, the ownership of the returned string arrays (freed with sr_string_array_free), and the error paths: bad
 * or foreign addresses, CLUSTER INFO outside a cluster, unknown parameters, AI.INFO of a key without statistics,
 * NULL arguments, non-UTF-8 text and a dataset handle passed as a client. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_client.h"
#include "c_dataset.h"
#include "sr_test.h"

/* The value of `key` in parallel arrays of `n` entries (NULL if missing). */
static const char* lookup(char** keys, char** values, size_t n, const char* key)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(keys[i], key) == 0) return values[i];
  return NULL;
}

static void free_all(char*** a, char*** b, char*** c, size_t n)
{
  if (a != NULL) {
    CHECK_OK(sr_string_array_free(a, n));
    CHECK(*a == NULL);
  }
  if (b != NULL) CHECK_OK(sr_string_array_free(b, n));
  if (c != NULL) CHECK_OK(sr_string_array_free(c, n));
}

static void exercise_node(void* c, const char* addr, bool cluster)
{
  size_t alen = strlen(addr);
  char **sections = NULL, **keys = NULL, **values = NULL;
  size_t n = 0;

  CHECK_OK(sr_get_db_node_info(c, addr, alen, &sections, &keys, &values, &n));
  CHECK(n > 20);
  const char* version = NULL;
  int has_cluster_section = 0, has_keyspace = 0;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(sections[i], "Server") == 0 && strcmp(keys[i], "redis_version") == 0) version = values[i];
    if (i > 0) CHECK(strcmp(sections[i - 1], sections[i]) < 0 ||
                     (strcmp(sections[i - 1], sections[i]) == 0 && strcmp(keys[i - 1], keys[i]) < 0));
    has_cluster_section |= strcmp(sections[i], "Cluster") == 0;
    has_keyspace |= strcmp(sections[i], "Keyspace") == 0;
  }
  CHECK(version != NULL && strchr(version, '.') != NULL);
  CHECK(has_cluster_section && has_keyspace);
  free_all(&sections, &keys, &values, n);

  if (cluster) {
    CHECK_OK(sr_get_db_cluster_info(c, addr, alen, &keys, &values, &n));
    const char* state = lookup(keys, values, n, "cluster_state");
    CHECK(state != NULL && strcmp(state, "ok") == 0);
    const char* known = lookup(keys, values, n, "cluster_known_nodes");
    CHECK(known != NULL && strcmp(known, "3") == 0);
    free_all(&keys, &values, NULL, n);
  } else {
    CHECK_ERR(sr_get_db_cluster_info(c, addr, alen, &keys, &values, &n), SRRuntimeError, "non-cluster");
    CHECK(keys == NULL && values == NULL && n == 0);
  }

  CHECK_OK(sr_config_set(c, "maxmemory-policy", 16, "allkeys-lru", 11, addr, alen));
  CHECK_OK(sr_config_get(c, "maxmemory-policy", 16, addr, alen, &keys, &values, &n));
  CHECK(n == 1 && strcmp(keys[0], "maxmemory-policy") == 0 && strcmp(values[0], "allkeys-lru") == 0);
  free_all(&keys, &values, NULL, n);
  CHECK_OK(sr_config_get(c, "maxmemory*", 10, addr, alen, &keys, &values, &n));
  CHECK(n >= 3 && lookup(keys, values, n, "maxmemory") != NULL);
  free_all(&keys, &values, NULL, n);
  CHECK_OK(sr_config_get(c, "no-such-parameter", 17, addr, alen, &keys, &values, &n));
  CHECK(n == 0 && keys == NULL && values == NULL);
  CHECK_ERR(sr_config_set(c, "no-such-parameter", 17, "1", 1, addr, alen), SRRuntimeError, "no-such-parameter");
  CHECK_OK(sr_save(c, addr, alen));

  /* AI.INFO of a key the module has no statistics for: the server's text, no partial result. */
  CHECK_ERR(sr_get_ai_info(c, addr, alen, "no_model", 8, false, &keys, &values, &n), SRRuntimeError,
            "cannot find run info");
  CHECK(keys == NULL && values == NULL && n == 0);
  CHECK_ERR(sr_get_ai_info(c, addr, alen, "", 0, false, &keys, &values, &n), SRParameterError, "key");
}

int main(void)
{
  const char* ssdb = getenv("SSDB");
  const char* type = getenv("SR_DB_TYPE");
  if (ssdb == NULL) {
    fprintf(stderr, "SSDB is not set\n");
    return EXIT_FAILURE;
  }
  bool cluster = type != NULL && strcmp(type, "Clustered") == 0;
  void* c = NULL;
  CHECK_OK(SimpleCreateClient("c_admin", 7, &c));

  char* list = strdup(ssdb);
  char* save_ptr = NULL;
  char* addrs[16];
  size_t n_addrs = 0;
  for (char* a = strtok_r(list, ",", &save_ptr); a != NULL && n_addrs < 16; a = strtok_r(NULL, ",", &save_ptr)) {
    if (strncmp(a, "tcp://", 6) == 0) a += 6;
    addrs[n_addrs++] = a;
  }
  CHECK(n_addrs >= 1);
  for (size_t i = 0; i < n_addrs; i++) exercise_node(c, addrs[i], cluster);

  /* FLUSHDB on every node empties the store. */
  size_t one[1] = {1};
  unsigned char byte = 7;
  for (int i = 0; i < 20; i++) {
    char name[16];
    snprintf(name, sizeof name, "t%d", i);
    CHECK_OK(put_tensor(c, name, strlen(name), &byte, one, 1, SRTensorTypeUint8, SRMemLayoutContiguous));
  }
  for (size_t i = 0; i < n_addrs; i++) CHECK_OK(sr_flush_db(c, addrs[i], strlen(addrs[i])));
  for (int i = 0; i < 20; i++) {
    char name[16];
    bool exists = true;
    snprintf(name, sizeof name, "t%d", i);
    CHECK_OK(tensor_exists(c, name, strlen(name), &exists));
    CHECK(!exists);
  }

  /* Error paths. */
  char **keys = NULL, **values = NULL, **sections = NULL;
  size_t n = 0;
  const char* bad[] = {"", ":00", "127.0.0.1", "127.0.0.1:", "127.0.0.1:1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_ERR(sr_flush_db(c, bad[i], strlen(bad[i])), SRRuntimeError, NULL);
    CHECK_ERR(sr_config_get(c, "maxmemory", 9, bad[i], strlen(bad[i]), &keys, &values, &n), SRRuntimeError, NULL);
    CHECK_ERR(sr_get_db_node_info(c, bad[i], strlen(bad[i]), &sections, &keys, &values, &n), SRRuntimeError, NULL);
  }
  const char* a0 = addrs[0];
  size_t l0 = strlen(a0);
  CHECK_ERR(sr_flush_db(NULL, a0, l0), SRParameterError, "c_client");
  CHECK_ERR(sr_save(c, NULL, 3), SRParameterError, "address");
  CHECK_ERR(sr_config_get(c, "maxmemory", 9, a0, l0, NULL, &values, &n), SRParameterError, "keys");
  CHECK_ERR(sr_config_get(c, "maxmemory", 9, a0, l0, &keys, &values, NULL), SRParameterError, "count");
  CHECK_ERR(sr_get_db_node_info(c, a0, l0, &sections, NULL, &values, &n), SRParameterError, "keys");
  CHECK_ERR(sr_config_get(c, "\xff", 1, a0, l0, &keys, &values, &n), SRParameterError, "UTF-8");
  CHECK_ERR(sr_config_set(c, "maxmemory", 9, "1", 1, "\xfe", 1), SRParameterError, "UTF-8");
  CHECK_ERR(sr_string_array_free(NULL, 0), SRParameterError, "strings");
  CHECK_OK(sr_string_array_free(&keys, 0)); /* NULL array: a no-op */

  /* A dataset handle where a client is expected is reported, not undefined behaviour. */
  void* ds = NULL;
  CHECK_OK(CDataSet("ds", 2, &ds));
  CHECK_ERR(sr_flush_db(ds, a0, l0), SRParameterError, "not a valid Client");
  CHECK_ERR(sr_get_db_node_info(ds, a0, l0, &sections, &keys, &values, &n), SRParameterError, "not a valid Client");
  CHECK_ERR(sr_config_get(ds, "maxmemory", 9, a0, l0, &keys, &values, &n), SRParameterError, "not a valid Client");
  CHECK_OK(DeallocateDataSet(&ds));

  free(list);
  CHECK_OK(DeleteCClient(&c));
  SR_TEST_END();
}
