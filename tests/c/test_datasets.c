/* Datasets through the C API against a live store (run under `smartredis run` in standalone, unix and cluster
 * modes): every c_dataset.h function, the client's dataset functions, ownership of returned memory, and the error
 * paths (missing dataset, missing tensor or field, wrong type, wrong dims, empty dataset, empty names, NULL
 * handles, a client passed as a dataset and the reverse). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_client.h"
#include "c_dataset.h"
#include "c_logger.h"
#include "sr_test.h"

static const SRTensorType TYPES[8] = {SRTensorTypeDouble, SRTensorTypeFloat, SRTensorTypeInt8,
                                      SRTensorTypeInt16,  SRTensorTypeInt32, SRTensorTypeInt64,
                                      SRTensorTypeUint8,  SRTensorTypeUint16};
static const size_t SIZES[8] = {8, 4, 1, 2, 4, 8, 1, 2};

#define D0 2
#define D1 3
#define D2 4
#define N (D0 * D1 * D2)

static size_t rm(size_t i, size_t j, size_t k) { return (i * D1 + j) * D2 + k; }
static size_t cm(size_t i, size_t j, size_t k) { return i + D0 * (j + D1 * k); }

/* Row-major test data for type t. */
static unsigned char* make_data(size_t t)
{
  unsigned char* d = malloc(N * SIZES[t]);
  for (size_t b = 0; b < N * SIZES[t]; b++) d[b] = (unsigned char)(b * 37u + t);
  return d;
}

static int has_name(char** names, size_t* lens, size_t n, const char* want)
{
  for (size_t i = 0; i < n; i++)
    if (lens[i] == strlen(want) && memcmp(names[i], want, lens[i]) == 0 && names[i][lens[i]] == '\0') return 1;
  return 0;
}

/* Adds tensors of every type in the Contiguous, FortranContiguous and Nested layouts. */
static void add_all_tensors(void* ds)
{
  size_t dims[3] = {D0, D1, D2};
  for (size_t t = 0; t < 8; t++) {
    size_t es = SIZES[t];
    unsigned char* data = make_data(t);
    unsigned char* fort = malloc(N * es);
    for (size_t i = 0; i < D0; i++)
      for (size_t j = 0; j < D1; j++)
        for (size_t k = 0; k < D2; k++) memcpy(fort + cm(i, j, k) * es, data + rm(i, j, k) * es, es);
    void* mid[D0][D1];
    void* top[D0];
    for (size_t i = 0; i < D0; i++) {
      for (size_t j = 0; j < D1; j++) mid[i][j] = data + rm(i, j, 0) * es;
      top[i] = (void*)mid[i];
    }
    char name[32];
    snprintf(name, sizeof name, "c%zu", t);
    CHECK_OK(add_tensor(ds, name, strlen(name), data, dims, 3, TYPES[t], SRMemLayoutContiguous));
    snprintf(name, sizeof name, "f%zu", t);
    CHECK_OK(add_tensor(ds, name, strlen(name), fort, dims, 3, TYPES[t], SRMemLayoutFortranContiguous));
    snprintf(name, sizeof name, "n%zu", t);
    CHECK_OK(add_tensor(ds, name, strlen(name), top, dims, 3, TYPES[t], SRMemLayoutNested));
    /* The dataset keeps its own copy. */
    memset(data, 0, N * es);
    memset(fort, 0, N * es);
    free(data);
    free(fort);
  }
}

static void add_all_meta(void* ds)
{
  double d[2] = {1.5, -2.25};
  float f = 3.5f;
  int32_t i32 = -7;
  int64_t i64 = INT64_MIN;
  uint32_t u32 = UINT32_MAX;
  uint64_t u64 = UINT64_MAX;
  CHECK_OK(add_meta_scalar(ds, "dbl", 3, &d[0], SRMetadataTypeDouble));
  CHECK_OK(add_meta_scalar(ds, "dbl", 3, &d[1], SRMetadataTypeDouble));
  CHECK_OK(add_meta_scalar(ds, "flt", 3, &f, SRMetadataTypeFloat));
  CHECK_OK(add_meta_scalar(ds, "i32", 3, &i32, SRMetadataTypeInt32));
  CHECK_OK(add_meta_scalar(ds, "i64", 3, &i64, SRMetadataTypeInt64));
  CHECK_OK(add_meta_scalar(ds, "u32", 3, &u32, SRMetadataTypeUint32));
  CHECK_OK(add_meta_scalar(ds, "u64", 3, &u64, SRMetadataTypeUint64));
  CHECK_OK(add_meta_string(ds, "str", 3, "first", 5));
  CHECK_OK(add_meta_string(ds, "str", 3, "with\0nul", 8));
}

/* Everything in a dataset built by add_all_tensors + add_all_meta, read back through every getter. */
static void check_contents(void* ds)
{
  size_t dims[3] = {D0, D1, D2};
  size_t total[1] = {N};
  for (size_t t = 0; t < 8; t++) {
    size_t es = SIZES[t];
    unsigned char* want = make_data(t);
    unsigned char* out = malloc(N * es);
    const char prefixes[3] = {'c', 'f', 'n'};
    for (int p = 0; p < 3; p++) {
      char name[32];
      snprintf(name, sizeof name, "%c%zu", prefixes[p], t);
      SRTensorType ty = SRTensorTypeInvalid;
      CHECK_OK(get_tensor_type(ds, name, strlen(name), &ty));
      CHECK(ty == TYPES[t]);
      size_t gd[4] = {0, 0, 0, 0};
      size_t* gdp = gd;
      size_t n = 4;
      CHECK_OK(get_tensor_dims(ds, name, strlen(name), &gdp, &n));
      CHECK(n == 3 && gd[0] == D0 && gd[1] == D1 && gd[2] == D2);

      void* got = NULL;
      size_t* gdims = NULL;
      size_t gn = 0;
      CHECK_OK(get_dataset_tensor(ds, name, strlen(name), &got, &gdims, &gn, &ty, SRMemLayoutContiguous));
      CHECK(gn == 3 && gdims[2] == D2 && ty == TYPES[t] && memcmp(got, want, N * es) == 0);
      CHECK_OK(get_dataset_tensor(ds, name, strlen(name), &got, &gdims, &gn, &ty, SRMemLayoutFortranContiguous));
      int ok = 1;
      for (size_t i = 0; i < D0; i++)
        for (size_t j = 0; j < D1; j++)
          for (size_t k = 0; k < D2; k++)
            if (memcmp((unsigned char*)got + cm(i, j, k) * es, want + rm(i, j, k) * es, es) != 0) ok = 0;
      CHECK(ok);
      CHECK_OK(get_dataset_tensor(ds, name, strlen(name), &got, &gdims, &gn, &ty, SRMemLayoutNested));
      unsigned char* row = ((unsigned char***)got)[1][2];
      CHECK(memcmp(row, want + rm(1, 2, 0) * es, D2 * es) == 0);

      memset(out, 0, N * es);
      CHECK_OK(unpack_dataset_tensor(ds, name, strlen(name), out, total, 1, TYPES[t], SRMemLayoutContiguous));
      CHECK(memcmp(out, want, N * es) == 0);
      memset(out, 0, N * es);
      CHECK_OK(unpack_dataset_tensor(ds, name, strlen(name), out, dims, 3, TYPES[t], SRMemLayoutFortranContiguous));
      CHECK(memcmp(out + cm(1, 2, 3) * es, want + rm(1, 2, 3) * es, es) == 0);
    }
    free(want);
    free(out);
  }

  char** names = NULL;
  size_t* lens = NULL;
  size_t n = 0;
  CHECK_OK(get_tensor_names(ds, &names, &n, &lens));
  CHECK(n == 24 && has_name(names, lens, n, "c0") && has_name(names, lens, n, "n7"));
  CHECK(n == 24 && strcmp(names[0], "c0") == 0 && strcmp(names[1], "f0") == 0 && strcmp(names[23], "n7") == 0);

  void* vals = NULL;
  size_t len = 0;
  SRMetaDataType mt = SRMetadataTypeInvalid;
  CHECK_OK(get_meta_scalars(ds, "dbl", 3, &len, &mt, &vals));
  CHECK(len == 2 && mt == SRMetadataTypeDouble && ((double*)vals)[0] == 1.5 && ((double*)vals)[1] == -2.25);
  CHECK_OK(get_meta_scalars(ds, "flt", 3, &len, &mt, &vals));
  CHECK(len == 1 && mt == SRMetadataTypeFloat && ((float*)vals)[0] == 3.5f);
  CHECK_OK(get_meta_scalars(ds, "i32", 3, &len, &mt, &vals));
  CHECK(len == 1 && mt == SRMetadataTypeInt32 && ((int32_t*)vals)[0] == -7);
  CHECK_OK(get_meta_scalars(ds, "i64", 3, &len, &mt, &vals));
  CHECK(len == 1 && mt == SRMetadataTypeInt64 && ((int64_t*)vals)[0] == INT64_MIN);
  CHECK_OK(get_meta_scalars(ds, "u32", 3, &len, &mt, &vals));
  CHECK(len == 1 && mt == SRMetadataTypeUint32 && ((uint32_t*)vals)[0] == UINT32_MAX);
  CHECK_OK(get_meta_scalars(ds, "u64", 3, &len, &mt, &vals));
  CHECK(len == 1 && mt == SRMetadataTypeUint64 && ((uint64_t*)vals)[0] == UINT64_MAX);

  CHECK_OK(get_meta_strings(ds, "str", 3, &names, &n, &lens));
  CHECK(n == 2 && lens[0] == 5 && strcmp(names[0], "first") == 0);
  CHECK(n == 2 && lens[1] == 8 && memcmp(names[1], "with\0nul", 8) == 0 && names[1][8] == '\0');

  CHECK_OK(get_metadata_field_names(ds, &names, &n, &lens));
  CHECK(n == 7 && has_name(names, lens, n, "dbl") && has_name(names, lens, n, "str") &&
        !has_name(names, lens, n, ".tensor_names"));
  CHECK_OK(get_metadata_field_type(ds, "str", 3, &mt));
  CHECK(mt == SRMetadataTypeString);
  CHECK_OK(get_metadata_field_type(ds, "u64", 3, &mt));
  CHECK(mt == SRMetadataTypeUint64);

  const char* s = dataset_to_string(ds);
  CHECK(strncmp(s, "DataSet (", 9) == 0 && strstr(s, "type: 16 bit unsigned integer") != NULL);
}

static void error_paths(void* c, void* ds)
{
  size_t dims[1] = {4};
  double v[4] = {1, 2, 3, 4};
  float fv[4];
  bool exists = true;
  void* got = NULL;

  /* Missing dataset: a key error everywhere. */
  CHECK_ERR(get_dataset(c, "absent", 6, &got), SRKeyError, "absent");
  CHECK(got == NULL);
  CHECK_ERR(copy_dataset(c, "absent", 6, "x", 1), SRKeyError, "absent");
  CHECK_ERR(rename_dataset(c, "absent", 6, "x", 1), SRKeyError, "absent");
  CHECK_ERR(delete_dataset(c, "absent", 6), SRKeyError, "absent");
  CHECK_OK(dataset_exists(c, "absent", 6, &exists));
  CHECK(!exists);

  /* Empty dataset, empty names. */
  void* empty = NULL;
  CHECK_OK(CDataSet("empty", 5, &empty));
  CHECK_ERR(put_dataset(c, empty), SRRuntimeError, "does not contain any fields or tensors");
  CHECK_OK(DeallocateDataSet(&empty));
  CHECK(empty == NULL);
  CHECK_OK(DeallocateDataSet(&empty));
  CHECK_ERR(CDataSet("", 0, &empty), SRParameterError, "name");
  CHECK_ERR(add_tensor(ds, "", 0, v, dims, 1, SRTensorTypeDouble, SRMemLayoutContiguous), SRParameterError, NULL);
  CHECK_ERR(add_meta_string(ds, "", 0, "x", 1), SRParameterError, NULL);
  CHECK_ERR(get_dataset(c, "", 0, &got), SRParameterError, NULL);
  CHECK_ERR(CDataSet("\xff", 1, &empty), SRParameterError, "UTF-8");

  /* Wrong types, wrong dims, duplicates. */
  CHECK_OK(add_tensor(ds, "extra", 5, v, dims, 1, SRTensorTypeDouble, SRMemLayoutContiguous));
  CHECK_ERR(add_tensor(ds, "extra", 5, v, dims, 1, SRTensorTypeDouble, SRMemLayoutContiguous), SRRuntimeError,
            "already exists");
  CHECK_ERR(add_tensor(ds, "nodata", 6, NULL, dims, 1, SRTensorTypeDouble, SRMemLayoutContiguous), SRRuntimeError,
            "non-Null");
  CHECK_ERR(unpack_dataset_tensor(ds, "extra", 5, fv, dims, 1, SRTensorTypeFloat, SRMemLayoutContiguous),
            SRRuntimeError, "FLOAT");
  size_t bad_dims[1] = {5};
  double big[5];
  CHECK_ERR(unpack_dataset_tensor(ds, "extra", 5, big, bad_dims, 1, SRTensorTypeDouble, SRMemLayoutContiguous),
            SRRuntimeError, "dimensions");
  int32_t i = 1;
  CHECK_ERR(add_meta_scalar(ds, "dbl", 3, &i, SRMetadataTypeInt32), SRRuntimeError, "different type");
  CHECK_ERR(add_meta_scalar(ds, "s", 1, "x", SRMetadataTypeString), SRRuntimeError, NULL);
  CHECK_ERR(add_meta_scalar(ds, "s", 1, &i, (SRMetaDataType)42), SRParameterError, "SRMetaDataType");
  CHECK_ERR(add_meta_string(ds, "dbl", 3, "x", 1), SRRuntimeError, "string");

  /* Missing tensor or field: key errors (upstream: an internal error for type and dims). */
  SRTensorType tt;
  SRMetaDataType mt;
  size_t dbuf[1];
  size_t* dp = dbuf;
  size_t nd = 1;
  CHECK_ERR(get_tensor_type(ds, "nope", 4, &tt), SRKeyError, "nope");
  CHECK_ERR(get_tensor_dims(ds, "nope", 4, &dp, &nd), SRKeyError, "nope");
  CHECK_ERR(get_dataset_tensor(ds, "nope", 4, &got, &dp, &nd, &tt, SRMemLayoutContiguous), SRKeyError, "nope");
  CHECK_ERR(unpack_dataset_tensor(ds, "nope", 4, v, dims, 1, SRTensorTypeDouble, SRMemLayoutContiguous), SRKeyError,
            "nope");
  CHECK_ERR(get_metadata_field_type(ds, "nope", 4, &mt), SRKeyError, "nope");
  size_t len;
  void* vals;
  CHECK_ERR(get_meta_scalars(ds, "nope", 4, &len, &mt, &vals), SRKeyError, "nope");
  CHECK_ERR(get_meta_scalars(ds, "str", 3, &len, &mt, &vals), SRRuntimeError, "string");
  /* Too small a dims buffer: SRBadAllocError and the needed count. */
  size_t three = 2;
  size_t small[2];
  size_t* sp = small;
  CHECK_ERR(get_tensor_dims(ds, "c0", 2, &sp, &three), SRBadAllocError, NULL);
  CHECK(three == 3);

  /* NULL handles, and handles of the wrong kind. */
  CHECK_ERR(add_tensor(NULL, "t", 1, v, dims, 1, SRTensorTypeDouble, SRMemLayoutContiguous), SRParameterError,
            "NULL");
  CHECK_ERR(put_dataset(c, NULL), SRParameterError, "NULL");
  CHECK_ERR(put_dataset(NULL, ds), SRParameterError, "NULL");
  CHECK_ERR(add_meta_string(c, "m", 1, "x", 1), SRParameterError, "not a valid DataSet");
  CHECK_ERR(put_dataset(c, c), SRParameterError, "not a valid DataSet");
  CHECK_ERR(put_dataset(ds, ds), SRParameterError, "not a valid Client");
  CHECK_ERR(DeallocateDataSet(NULL), SRParameterError, NULL);
  CHECK_ERR(get_dataset(c, "x", 1, NULL), SRParameterError, NULL);
  const char* s = dataset_to_string(c);
  CHECK(strstr(s, "not a valid DataSet") != NULL);

  /* A dataset is a logging context. */
  log_data(ds, LLInfo, "dataset log line", 16);
}

int main(void)
{
  void* c = NULL;
  CHECK_OK(SimpleCreateClient("c_datasets", 10, &c));
  if (c == NULL) return EXIT_FAILURE;

  void* ds = NULL;
  CHECK_OK(CDataSet("cds", 3, &ds));
  add_all_tensors(ds);
  add_all_meta(ds);
  check_contents(ds);

  bool exists = true;
  CHECK_OK(dataset_exists(c, "cds", 3, &exists));
  CHECK(!exists);
  CHECK_OK(poll_dataset(c, "cds", 3, 1, 2, &exists));
  CHECK(!exists);
  CHECK_OK(put_dataset(c, ds));
  CHECK_OK(dataset_exists(c, "cds", 3, &exists));
  CHECK(exists);
  CHECK_OK(poll_dataset(c, "cds", 3, 1, 1, &exists));
  CHECK(exists);
  CHECK_OK(key_exists(c, "{cds}.meta", 10, &exists));
  CHECK(exists);
  CHECK_OK(key_exists(c, "{cds}.f3", 8, &exists));
  CHECK(exists);

  void* got = NULL;
  CHECK_OK(get_dataset(c, "cds", 3, &got));
  if (got != NULL) check_contents(got);

  /* A stored dataset tensor is a plain tensor under {name}.<tensor>. */
  unsigned char* want = make_data(4);
  int32_t out[N];
  size_t total[1] = {N};
  CHECK_OK(unpack_tensor(c, "{cds}.f4", 8, out, total, 1, SRTensorTypeInt32, SRMemLayoutContiguous));
  CHECK(memcmp(out, want, sizeof out) == 0);
  free(want);

  CHECK_OK(copy_dataset(c, "cds", 3, "cds_copy", 8));
  CHECK_OK(rename_dataset(c, "cds_copy", 8, "cds_moved", 9));
  CHECK_OK(dataset_exists(c, "cds_copy", 8, &exists));
  CHECK(!exists);
  void* moved = NULL;
  CHECK_OK(get_dataset(c, "cds_moved", 9, &moved));
  if (moved != NULL) check_contents(moved);
  CHECK_OK(delete_dataset(c, "cds_moved", 9));
  CHECK_OK(key_exists(c, "{cds_moved}.c0", 14, &exists));
  CHECK(!exists);
  CHECK_OK(dataset_exists(c, "cds_moved", 9, &exists));
  CHECK(!exists);

  error_paths(c, ds);

  CHECK_OK(DeallocateDataSet(&moved));
  CHECK_OK(DeallocateDataSet(&got));
  CHECK_OK(DeallocateDataSet(&ds));
  CHECK(ds == NULL);
  CHECK_OK(DeleteCClient(&c));
  SR_TEST_END();
}
