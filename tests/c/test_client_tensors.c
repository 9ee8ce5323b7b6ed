/* Tensors through the C API against a live store (run under `smartredis run` in standalone, unix and cluster modes):
 * every type, the Nested, Contiguous and FortranContiguous layouts, cross-layout round trips, the other tensor
 * and key functions, ensemble prefixes and error paths. Data are compared byte for byte. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_client.h"
#include "c_configoptions.h"
#include "c_logger.h"
#include "sr_test.h"

static const SRTensorType TYPES[8] = {SRTensorTypeDouble, SRTensorTypeFloat, SRTensorTypeInt8,
                                      SRTensorTypeInt16,  SRTensorTypeInt32, SRTensorTypeInt64,
                                      SRTensorTypeUint8,  SRTensorTypeUint16};
static const size_t SIZES[8] = {8, 4, 1, 2, 4, 8, 1, 2};

#define D0 3
#define D1 4
#define D2 5
#define N (D0 * D1 * D2)

/* Row-major offset of (i,j,k) and column-major (Fortran) offset of the same element. */
static size_t rm(size_t i, size_t j, size_t k) { return (i * D1 + j) * D2 + k; }
static size_t cm(size_t i, size_t j, size_t k) { return i + D0 * (j + D1 * k); }

/* A [D0][D1][D2] pointer tree over row-major bytes `base` (elements of `es` bytes). */
typedef struct {
  void* top[D0];
  void* mid[D0][D1];
} tree3;

static void make_tree(tree3* t, unsigned char* base, size_t es)
{
  for (size_t i = 0; i < D0; i++) {
    for (size_t j = 0; j < D1; j++) t->mid[i][j] = base + rm(i, j, 0) * es;
    t->top[i] = (void*)t->mid[i];
  }
}

static void one_type(void* c, size_t t)
{
  SRTensorType type = TYPES[t];
  size_t es = SIZES[t];
  size_t dims[3] = {D0, D1, D2};
  size_t total[1] = {N};
  unsigned char* data = malloc(N * es);
  unsigned char* out = malloc(N * es);
  unsigned char* fort = malloc(N * es);
  for (size_t b = 0; b < N * es; b++) data[b] = (unsigned char)(b * 31u + t);
  char key[64], key2[64];
  snprintf(key, sizeof key, "c_tensor_%zu", t);

  /* Contiguous put → get (Contiguous) → unpack (Contiguous, by total and by shape). */
  CHECK_OK(put_tensor(c, key, strlen(key), data, dims, 3, type, SRMemLayoutContiguous));
  void* got = NULL;
  size_t* gdims = NULL;
  size_t gn = 0;
  SRTensorType gtype = SRTensorTypeInvalid;
  CHECK_OK(get_tensor(c, key, strlen(key), &got, &gdims, &gn, &gtype, SRMemLayoutContiguous));
  CHECK(gn == 3 && gdims[0] == D0 && gdims[1] == D1 && gdims[2] == D2 && gtype == type);
  CHECK(got != NULL && memcmp(got, data, N * es) == 0);
  memset(out, 0, N * es);
  CHECK_OK(unpack_tensor(c, key, strlen(key), out, total, 1, type, SRMemLayoutContiguous));
  CHECK(memcmp(out, data, N * es) == 0);
  memset(out, 0, N * es);
  CHECK_OK(unpack_tensor(c, key, strlen(key), out, dims, 3, type, SRMemLayoutContiguous));
  CHECK(memcmp(out, data, N * es) == 0);

  /* Unpack as Fortran: element (i,j,k) moves from its row-major to its column-major place. */
  CHECK_OK(unpack_tensor(c, key, strlen(key), fort, dims, 3, type, SRMemLayoutFortranContiguous));
  int transposed = 1;
  for (size_t i = 0; i < D0; i++)
    for (size_t j = 0; j < D1; j++)
      for (size_t k = 0; k < D2; k++)
        if (memcmp(fort + cm(i, j, k) * es, data + rm(i, j, k) * es, es) != 0) transposed = 0;
  CHECK(transposed);
  CHECK_OK(get_tensor(c, key, strlen(key), &got, &gdims, &gn, &gtype, SRMemLayoutFortranContiguous));
  CHECK(memcmp(got, fort, N * es) == 0);
  CHECK(gn == 3 && gdims[0] == D0 && gdims[2] == D2); /* dims stay as stored */

  /* Put Fortran → stored row-major: the C-order read gives the original. */
  snprintf(key2, sizeof key2, "c_tensor_f_%zu", t);
  CHECK_OK(put_tensor(c, key2, strlen(key2), fort, dims, 3, type, SRMemLayoutFortranContiguous));
  memset(out, 0, N * es);
  CHECK_OK(unpack_tensor(c, key2, strlen(key2), out, total, 1, type, SRMemLayoutContiguous));
  CHECK(memcmp(out, data, N * es) == 0);

  /* Nested: put from a pointer tree, unpack into one, get one. */
  tree3 in_tree, out_tree;
  make_tree(&in_tree, data, es);
  snprintf(key2, sizeof key2, "c_tensor_n_%zu", t);
  CHECK_OK(put_tensor(c, key2, strlen(key2), in_tree.top, dims, 3, type, SRMemLayoutNested));
  memset(out, 0, N * es);
  make_tree(&out_tree, out, es);
  CHECK_OK(unpack_tensor(c, key2, strlen(key2), out_tree.top, dims, 3, type, SRMemLayoutNested));
  CHECK(memcmp(out, data, N * es) == 0);
  CHECK_OK(get_tensor(c, key2, strlen(key2), &got, &gdims, &gn, &gtype, SRMemLayoutNested));
  int nested_ok = gn == 3 && gtype == type;
  for (size_t i = 0; nested_ok && i < D0; i++)
    for (size_t j = 0; j < D1; j++)
      if (memcmp(((unsigned char***)got)[i][j], data + rm(i, j, 0) * es, D2 * es) != 0) nested_ok = 0;
  CHECK(nested_ok);

  /* 1-D nested is just the data pointer. */
  size_t d1[1] = {7};
  CHECK_OK(put_tensor(c, key2, strlen(key2), data, d1, 1, type, SRMemLayoutNested));
  CHECK_OK(get_tensor(c, key2, strlen(key2), &got, &gdims, &gn, &gtype, SRMemLayoutNested));
  CHECK(gn == 1 && gdims[0] == 7 && memcmp(got, data, 7 * es) == 0);

  free(data);
  free(out);
  free(fort);
}

static void misc(void* c)
{
  double v[3] = {1.5, 2.5, 3.5}, w[3] = {0, 0, 0};
  size_t d[1] = {3};
  bool exists = false;
  CHECK_OK(put_tensor(c, "m_src", 5, v, d, 1, SRTensorTypeDouble, SRMemLayoutContiguous));
  CHECK_OK(copy_tensor(c, "m_src", 5, "m_copy", 6));
  CHECK_OK(rename_tensor(c, "m_copy", 6, "m_renamed", 9));
  CHECK_OK(tensor_exists(c, "m_copy", 6, &exists));
  CHECK(!exists);
  CHECK_OK(unpack_tensor(c, "m_renamed", 9, w, d, 1, SRTensorTypeDouble, SRMemLayoutContiguous));
  CHECK(memcmp(v, w, sizeof v) == 0);
  CHECK_OK(key_exists(c, "m_renamed", 9, &exists));
  CHECK(exists);
  CHECK_OK(poll_tensor(c, "m_renamed", 9, 1, 3, &exists));
  CHECK(exists);
  CHECK_OK(delete_tensor(c, "m_renamed", 9));
  CHECK_OK(poll_key(c, "m_renamed", 9, 1, 2, &exists));
  CHECK(!exists);
  CHECK_OK(delete_tensor(c, "never_there", 11)); /* not an error, as upstream */
  CHECK_OK(use_tensor_ensemble_prefix(c, false));
  CHECK_OK(use_dataset_ensemble_prefix(c, true));
  CHECK_OK(use_model_ensemble_prefix(c, false));
  CHECK_OK(use_list_ensemble_prefix(c, true));
  CHECK(strncmp(client_to_string(c), "Client (c_tensors)", 18) == 0);
  /* A client handle is a logging context. */
  log_data(c, LLDebug, "client as a logging context", 27);
  CHECK(strstr(SRGetLastError(), "context") == NULL);

  /* Large odd-sized tensor, larger than every internal buffer. */
  size_t n = 600001;
  double* big = malloc(n * sizeof(double));
  double* back = malloc(n * sizeof(double));
  for (size_t i = 0; i < n; i++) big[i] = (double)i * 0.25;
  size_t bd[1] = {n};
  CHECK_OK(put_tensor(c, "m_big", 5, big, bd, 1, SRTensorTypeDouble, SRMemLayoutContiguous));
  CHECK_OK(unpack_tensor(c, "m_big", 5, back, bd, 1, SRTensorTypeDouble, SRMemLayoutContiguous));
  CHECK(memcmp(big, back, n * sizeof(double)) == 0);
  free(big);
  free(back);
}

static void errors(void* c)
{
  double v[4] = {0};
  size_t d[2] = {2, 2}, zero[2] = {2, 0}, wrong[1] = {5};
  bool exists;
  void* data;
  size_t* dims;
  size_t n;
  SRTensorType type;
  CHECK_ERR(put_tensor(NULL, "k", 1, v, d, 2, SRTensorTypeDouble, SRMemLayoutContiguous), SRParameterError,
            "c_client");
  CHECK_ERR(put_tensor(c, NULL, 1, v, d, 2, SRTensorTypeDouble, SRMemLayoutContiguous), SRParameterError, "name");
  CHECK_ERR(put_tensor(c, "k", 1, NULL, d, 2, SRTensorTypeDouble, SRMemLayoutContiguous), SRParameterError, "data");
  CHECK_ERR(put_tensor(c, "k", 1, v, NULL, 2, SRTensorTypeDouble, SRMemLayoutContiguous), SRParameterError, "dims");
  CHECK_ERR(put_tensor(c, "k", 1, v, d, 2, (SRTensorType)99, SRMemLayoutContiguous), SRParameterError,
            "SRTensorType");
  CHECK_ERR(put_tensor(c, "k", 1, v, d, 2, SRTensorTypeInvalid, SRMemLayoutContiguous), SRTypeError, NULL);
  CHECK_ERR(put_tensor(c, "k", 1, v, d, 2, SRTensorTypeDouble, (SRMemoryLayout)42), SRParameterError,
            "SRMemoryLayout");
  CHECK_ERR(put_tensor(c, "k", 1, v, d, 2, SRTensorTypeDouble, SRMemLayoutFortranNested), SRRuntimeError,
            "FortranNested");
  CHECK_ERR(put_tensor(c, "k", 1, v, zero, 2, SRTensorTypeDouble, SRMemLayoutContiguous), SRParameterError,
            "dims[1]");
  CHECK_ERR(put_tensor(c, "k", 1, v, d, 0, SRTensorTypeDouble, SRMemLayoutContiguous), SRParameterError, "dims");
  CHECK_ERR(put_tensor(c, "\xff\xfe", 2, v, d, 2, SRTensorTypeDouble, SRMemLayoutContiguous), SRParameterError,
            "UTF-8");
  CHECK_ERR(get_tensor(c, "absent_key", 10, &data, &dims, &n, &type, SRMemLayoutContiguous), SRRuntimeError,
            "absent_key");
  CHECK_ERR(get_tensor(c, "absent_key", 10, NULL, &dims, &n, &type, SRMemLayoutContiguous), SRParameterError,
            "data");
  CHECK_ERR(unpack_tensor(c, "absent_key", 10, v, d, 2, SRTensorTypeDouble, SRMemLayoutContiguous),
            SRRuntimeError, "absent_key");
  CHECK_OK(put_tensor(c, "e_k", 3, v, d, 2, SRTensorTypeDouble, SRMemLayoutContiguous));
  CHECK_ERR(unpack_tensor(c, "e_k", 3, v, d, 2, SRTensorTypeFloat, SRMemLayoutContiguous), SRRuntimeError, "FLOAT");
  CHECK_ERR(unpack_tensor(c, "e_k", 3, v, wrong, 1, SRTensorTypeDouble, SRMemLayoutContiguous), SRRuntimeError,
            "dimensions");
  CHECK_ERR(unpack_tensor(c, "e_k", 3, NULL, d, 2, SRTensorTypeDouble, SRMemLayoutContiguous), SRParameterError,
            "result");
  /* The connection is still in sync after the failures. */
  CHECK_OK(unpack_tensor(c, "e_k", 3, v, d, 2, SRTensorTypeDouble, SRMemLayoutContiguous));
  CHECK_ERR(rename_tensor(c, "absent_key", 10, "x", 1), SRRuntimeError, NULL);
  CHECK_ERR(copy_tensor(c, "absent_key", 10, "x", 1), SRRuntimeError, "absent_key");
  CHECK_ERR(key_exists(c, "k", 1, NULL), SRParameterError, "exists");
  CHECK_ERR(set_data_source(c, "nobody", 6), SRRuntimeError, "nobody");
  CHECK_ERR(DeleteCClient(NULL), SRParameterError, NULL);
  CHECK_ERR(tensor_exists(&exists, "k", 1, &exists), SRParameterError, "c_client");
}

int main(void)
{
  void* c = NULL;
  CHECK_OK(SimpleCreateClient("c_tensors", 9, &c));
  if (c == NULL) SR_TEST_END();
  for (size_t t = 0; t < 8; t++) one_type(c, t);
  misc(c);
  errors(c);
  CHECK_OK(DeleteCClient(&c));
  CHECK(c == NULL);
  CHECK_OK(DeleteCClient(&c)); /* *c_client == NULL: no-op */

  /* The other constructors: from a ConfigOptions handle, and the deprecated cluster flag. */
  const char* db_type = getenv("SR_DB_TYPE");
  bool cluster = db_type != NULL && strcmp(db_type, "Clustered") == 0;
  void* cfg = NULL;
  void* c2 = NULL;
  void* c3 = NULL;
  int16_t v[2] = {-7, 9}, w[2] = {0, 0};
  size_t d[1] = {2};
  CHECK_OK(create_configoptions_from_environment("", 0, &cfg));
  CHECK_OK(CreateClient(cfg, "c_cfg", 5, &c2));
  CHECK_OK(sr_configoptions_free(&cfg)); /* the client keeps its own copy */
  CHECK_OK(SmartRedisCClient(cluster, "c_flag", 6, &c3));
  if (c2 && c3) {
    CHECK_OK(put_tensor(c2, "ctor_t", 6, v, d, 1, SRTensorTypeInt16, SRMemLayoutContiguous));
    CHECK_OK(unpack_tensor(c3, "ctor_t", 6, w, d, 1, SRTensorTypeInt16, SRMemLayoutContiguous));
    CHECK(w[0] == -7 && w[1] == 9);
  }
  CHECK_OK(DeleteCClient(&c2));
  CHECK_OK(DeleteCClient(&c3));

  /* Ensemble prefixes: SSKEYOUT prefixes writes, SSKEYIN reads; the flags switch them off per entity. */
  setenv("SSKEYOUT", "prod_a", 1);
  setenv("SSKEYIN", "prod_a,prod_b", 1);
  void* e = NULL;
  bool exists = false;
  CHECK_OK(SimpleCreateClient("c_ens", 5, &e));
  if (e) {
    CHECK_OK(put_tensor(e, "ens_t", 5, v, d, 1, SRTensorTypeInt16, SRMemLayoutContiguous));
    CHECK_OK(key_exists(e, "prod_a.ens_t", 12, &exists));
    CHECK(exists);
    CHECK_OK(tensor_exists(e, "ens_t", 5, &exists));
    CHECK(exists);
    CHECK_OK(set_data_source(e, "prod_b", 6));
    CHECK_OK(tensor_exists(e, "ens_t", 5, &exists));
    CHECK(!exists);
    CHECK_OK(use_tensor_ensemble_prefix(e, false));
    CHECK_OK(put_tensor(e, "ens_u", 5, v, d, 1, SRTensorTypeInt16, SRMemLayoutContiguous));
    CHECK_OK(key_exists(e, "ens_u", 5, &exists));
    CHECK(exists);
    CHECK_OK(poll_key(e, "ens_u", 5, 1, 0, &exists)); /* no tries: false without a check, as upstream */
    CHECK(!exists);
  }
  CHECK_OK(DeleteCClient(&e));
  SR_TEST_END();
}
