/* TF models through the C API against a live store (run under `smartredis run` in standalone and cluster modes):
 * set_model with backend "TF" and graph input/output names, set_model_from_file, get_model, run_model, with every
 * output compared with TensorFlow's own outputs for the same inputs, and an unknown input name's error text.
 * argv[1]: tests/data/tf (frozen graphs and float32 data written by scripts/models/make_tf_models.py). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_client.h"
#include "sr_test.h"

static const char* dir;

/* The bytes of <dir>/<name>, or NULL. */
static char* read_file(const char* name, size_t* length)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char* buf = malloc((size_t)n);
  *length = fread(buf, 1, (size_t)n, f);
  fclose(f);
  return buf;
}

/* Puts <dir>/<file> (float32) under `key` with `dims`. */
static void put_file(void* c, const char* key, const char* file, size_t* dims, size_t ndims)
{
  size_t length = 0;
  char* data = read_file(file, &length);
  CHECK(data != NULL);
  if (data == NULL) return;
  CHECK_OK(put_tensor(c, key, strlen(key), data, dims, ndims, SRTensorTypeFloat, SRMemLayoutContiguous));
  free(data);
}

/* Unpacks `key` (n floats, dims) and compares it with <dir>/<file>. */
static void check_output(void* c, const char* key, const char* file, size_t* dims, size_t ndims, size_t n)
{
  size_t length = 0;
  float* want = (float*)read_file(file, &length);
  CHECK(want != NULL && length == n * sizeof(float));
  float* got = calloc(n, sizeof(float));
  CHECK_OK(unpack_tensor(c, key, strlen(key), got, dims, ndims, SRTensorTypeFloat, SRMemLayoutContiguous));
  for (size_t i = 0; want != NULL && i < n; i++)
    if (fabsf(got[i] - want[i]) > 1e-5f * (1.0f + fabsf(want[i]))) {
      fprintf(stderr, "%s[%zu] = %f, TensorFlow gave %f\n", key, i, got[i], want[i]);
      sr_test_failures++;
      break;
    }
  free(got);
  free(want);
}

int main(int argc, char** argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: %s <tests/data/tf>\n", argv[0]);
    return EXIT_FAILURE;
  }
  dir = argv[1];
  size_t length = 0;
  char* lin = read_file("linear.pb", &length);
  CHECK(lin != NULL && length > 0);
  if (lin == NULL) return EXIT_FAILURE;

  void* c = NULL;
  CHECK_OK(SimpleCreateClient("test_tf_models", 14, &c));

  /* The linear model: two inputs, two outputs, names as the graph has them. */
  const char* ins[2] = {"x", "b"};
  size_t in_lens[2] = {1, 1};
  const char* outs[2] = {"y", "scaled"};
  size_t out_lens[2] = {1, 6};
  CHECK_OK(set_model(c, "c_tf_lin", 8, lin, length, "TF", 2, "CPU", 3, 0, 0, 0, "", 0, ins, in_lens, 2, outs,
                     out_lens, 2));
  const char* got = NULL;
  size_t got_length = 0;
  CHECK_OK(get_model(c, "c_tf_lin", 8, &got_length, &got));
  CHECK(got_length == length && got != NULL && memcmp(got, lin, length) == 0);
  size_t xdims[2] = {4, 3}, bdims[2] = {4, 2}, ydims[2] = {4, 2};
  put_file(c, "c_tf_x", "linear_x.f32", xdims, 2);
  put_file(c, "c_tf_b", "linear_b.f32", bdims, 2);
  const char* run_in[2] = {"c_tf_x", "c_tf_b"};
  const char* run_out[2] = {"c_tf_y", "c_tf_s"};
  size_t run_lens[2] = {6, 6};
  CHECK_OK(run_model(c, "c_tf_lin", 8, run_in, run_lens, 2, run_out, run_lens, 2));
  check_output(c, "c_tf_y", "linear_y.f32", ydims, 2, 8);
  check_output(c, "c_tf_s", "linear_scaled.f32", ydims, 2, 8);

  /* The MNIST-sized CNN from a file, with batching options. */
  char path[4096];
  snprintf(path, sizeof path, "%s/cnn.pb", dir);
  const char* cin[1] = {"input"};
  const char* cout[1] = {"output"};
  size_t cin_len[1] = {5}, cout_len[1] = {6};
  CHECK_OK(set_model_from_file(c, "c_tf_cnn", 8, path, strlen(path), "TF", 2, "CPU", 3, 8, 0, 0, "cnn", 3, cin,
                               cin_len, 1, cout, cout_len, 1));
  size_t idims[4] = {4, 28, 28, 1}, odims[2] = {4, 10};
  put_file(c, "c_tf_img", "cnn_input.f32", idims, 4);
  const char* img[1] = {"c_tf_img"};
  const char* probs[1] = {"c_tf_out"};
  size_t key_len[1] = {8};
  CHECK_OK(run_model(c, "c_tf_cnn", 8, img, key_len, 1, probs, key_len, 1));
  check_output(c, "c_tf_out", "cnn_output.f32", odims, 2, 40);

  /* An input that is not in the graph: the server's text. */
  const char* bad[1] = {"nope"};
  size_t bad_len[1] = {4};
  CHECK_ERR(set_model(c, "c_tf_bad", 8, lin, length, "TF", 2, "CPU", 3, 0, 0, 0, "", 0, bad, bad_len, 1, outs,
                      out_lens, 1),
            SRRuntimeError, "Input node named \"nope\" not found in TF graph.");

  CHECK_OK(delete_model(c, "c_tf_lin", 8));
  CHECK_OK(delete_model(c, "c_tf_cnn", 8));
  CHECK_OK(DeleteCClient(&c));
  free(lin);
  SR_TEST_END();
}
