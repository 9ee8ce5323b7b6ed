/* Aggregation lists through the C API against a live store (standalone, unix and cluster modes): append, length,
 * the three polls, get all and ranges (arrays freed with sr_dataset_array_free), the Fortran-style allocated
 * range, copy, rename, delete, and the error paths. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_client.h"
#include "c_dataset.h"
#include "sr_test.h"

#define N_DATASETS 6

static void check_dataset(void* ds, int i)
{
  char want[32];
  snprintf(want, sizeof want, "list_ds_%d", i);
  const char* name = NULL;
  size_t len = 0;
  CHECK_OK(sr_dataset_get_name(ds, &name, &len));
  CHECK(len == strlen(want) && memcmp(name, want, len) == 0);
  uint16_t v[3] = {0, 0, 0};
  size_t dims[1] = {3};
  CHECK_OK(unpack_dataset_tensor(ds, "v", 1, v, dims, 1, SRTensorTypeUint16, SRMemLayoutContiguous));
  CHECK(v[0] == i && v[2] == i + 2);
  void* meta = NULL;
  size_t n = 0;
  SRMetaDataType t;
  CHECK_OK(get_meta_scalars(ds, "i", 1, &n, &t, &meta));
  CHECK(n == 1 && t == SRMetadataTypeInt32 && *(int32_t*)meta == i);
}

int main(void)
{
  void* c = NULL;
  CHECK_OK(SimpleCreateClient("c_lists", 7, &c));
  if (c == NULL) return EXIT_FAILURE;

  size_t dims[1] = {3};
  for (int i = 0; i < N_DATASETS; i++) {
    char name[32];
    snprintf(name, sizeof name, "list_ds_%d", i);
    void* ds = NULL;
    CHECK_OK(CDataSet(name, strlen(name), &ds));
    uint16_t v[3] = {(uint16_t)i, (uint16_t)(i + 1), (uint16_t)(i + 2)};
    CHECK_OK(add_tensor(ds, "v", 1, v, dims, 1, SRTensorTypeUint16, SRMemLayoutNested));
    int32_t m = i;
    CHECK_OK(add_meta_scalar(ds, "i", 1, &m, SRMetadataTypeInt32));
    CHECK_OK(put_dataset(c, ds));
    CHECK_OK(append_to_list(c, "clist", 5, ds));
    CHECK_OK(DeallocateDataSet(&ds));
  }

  int length = -1;
  CHECK_OK(get_list_length(c, "clist", 5, &length));
  CHECK(length == N_DATASETS);
  bool ok = false;
  CHECK_OK(poll_list_length(c, "clist", 5, N_DATASETS, 1, 1, &ok));
  CHECK(ok);
  CHECK_OK(poll_list_length(c, "clist", 5, 2, 1, 2, &ok));
  CHECK(!ok);
  CHECK_OK(poll_list_length_gte(c, "clist", 5, 2, 1, 1, &ok));
  CHECK(ok);
  CHECK_OK(poll_list_length_lte(c, "clist", 5, 2, 1, 1, &ok));
  CHECK(!ok);
  CHECK_ERR(poll_list_length(c, "clist", 5, -1, 1, 1, &ok), SRParameterError, "positive");

  void** all = NULL;
  size_t n = 0;
  CHECK_OK(get_datasets_from_list(c, "clist", 5, &all, &n));
  CHECK(n == N_DATASETS && all != NULL);
  for (size_t i = 0; all != NULL && i < n; i++) check_dataset(all[i], (int)i);
  /* One dataset freed by the caller first: its entry is NULL and skipped. */
  if (all != NULL) CHECK_OK(DeallocateDataSet(&all[0]));
  CHECK_OK(sr_dataset_array_free(&all, n));
  CHECK(all == NULL);
  CHECK_OK(sr_dataset_array_free(&all, 0));

  /* A range sized by the result, whatever the caller's *num_datasets held. */
  void** range = NULL;
  n = 0;
  CHECK_OK(get_dataset_list_range(c, "clist", 5, 2, 3, &range, &n));
  CHECK(n == 2 && range != NULL);
  if (range != NULL && n == 2) {
    check_dataset(range[0], 2);
    check_dataset(range[1], 3);
  }
  CHECK_OK(sr_dataset_array_free(&range, n));
  CHECK_OK(get_dataset_list_range(c, "clist", 5, -1, -1, &range, &n));
  CHECK(n == 1);
  if (n == 1) check_dataset(range[0], N_DATASETS - 1);
  CHECK_OK(sr_dataset_array_free(&range, n));
  CHECK_OK(get_dataset_list_range(c, "clist", 5, 40, 50, &range, &n));
  CHECK(n == 0 && range == NULL);

  /* The Fortran-style variant fills the caller's array. */
  void* mine[3] = {NULL, NULL, NULL};
  CHECK_OK(_get_dataset_list_range_allocated(c, "clist", 5, 1, 3, mine));
  for (int i = 0; i < 3; i++) {
    if (mine[i] != NULL) check_dataset(mine[i], i + 1);
    CHECK_OK(DeallocateDataSet(&mine[i]));
  }
  CHECK_ERR(_get_dataset_list_range_allocated(c, "clist", 5, 4, 9, mine), SRInternalError, "range");

  /* Copy, rename, delete. */
  CHECK_OK(copy_list(c, "clist", 5, "clist_copy", 10));
  CHECK_OK(get_list_length(c, "clist_copy", 10, &length));
  CHECK(length == N_DATASETS);
  CHECK_OK(rename_list(c, "clist_copy", 10, "clist_moved", 11));
  CHECK_OK(get_list_length(c, "clist_copy", 10, &length));
  CHECK(length == 0);
  CHECK_OK(get_list_length(c, "clist_moved", 11, &length));
  CHECK(length == N_DATASETS);
  CHECK_OK(delete_list(c, "clist_moved", 11));
  CHECK_OK(get_list_length(c, "clist_moved", 11, &length));
  CHECK(length == 0);

  /* Errors. */
  CHECK_ERR(copy_list(c, "nolist", 6, "x", 1), SRRuntimeError, "does not exist");
  CHECK_ERR(get_list_length(c, "", 0, &length), SRParameterError, NULL);
  CHECK_ERR(append_to_list(c, "clist", 5, c), SRParameterError, "not a valid DataSet");
  CHECK_ERR(get_datasets_from_list(c, "clist", 5, NULL, &n), SRParameterError, NULL);
  CHECK_ERR(sr_dataset_array_free(NULL, 0), SRParameterError, NULL);
  CHECK_ERR(poll_list_length_gte(c, "clist", 5, -1, 1, 1, &ok), SRParameterError, "positive");
  CHECK_ERR(poll_list_length_lte(c, "clist", 5, -3, 1, 1, &ok), SRParameterError, "positive");
  ok = true;
  CHECK_OK(poll_list_length(c, "clist", 5, N_DATASETS, 1, 0, &ok)); /* no tries: no check, false */
  CHECK(!ok);
  CHECK_ERR(get_list_length(c, "\xff", 1, &length), SRParameterError, "UTF-8");
  CHECK_ERR(copy_list(c, "clist", 5, "", 0), SRParameterError, NULL);
  CHECK_ERR(rename_list(c, "", 0, "x", 1), SRParameterError, NULL);
  CHECK_ERR(get_list_length(NULL, "clist", 5, &length), SRParameterError, "c_client");
  CHECK_ERR(get_dataset_list_range(c, "clist", 5, 0, 1, &range, NULL), SRParameterError, NULL);
  {
    /* A dataset handle where the client is expected is an error, not undefined behaviour. */
    void* ds = NULL;
    CHECK_OK(CDataSet("d", 1, &ds));
    CHECK_ERR(get_list_length(ds, "clist", 5, &length), SRParameterError, "not a valid Client");
    CHECK_ERR(get_datasets_from_list(ds, "clist", 5, &all, &n), SRParameterError, "not a valid Client");
    CHECK_OK(DeallocateDataSet(&ds));
  }
  CHECK_OK(delete_dataset(c, "list_ds_4", 9));
  CHECK_ERR(get_datasets_from_list(c, "clist", 5, &all, &n), SRKeyError, "list_ds_4");

  /* Admin calls on one node: the first SSDB entry. */
  const char* ssdb = getenv("SSDB");
  CHECK(ssdb != NULL);
  if (ssdb != NULL) {
    char addr[256];
    snprintf(addr, sizeof addr, "%s", ssdb);
    addr[strcspn(addr, ",")] = '\0';
    CHECK_OK(sr_config_set(c, "maxmemory-policy", 16, "allkeys-lru", 11, addr, strlen(addr)));
    CHECK_ERR(sr_config_set(c, "no-such-parameter", 17, "1", 1, addr, strlen(addr)), SRRuntimeError,
              "no-such-parameter");
    CHECK_OK(sr_save(c, addr, strlen(addr)));
    CHECK_ERR(sr_flush_db(c, "127.0.0.1:1", 11), SRRuntimeError, NULL);
  }

  CHECK_OK(DeleteCClient(&c));
  SR_TEST_END();
}
