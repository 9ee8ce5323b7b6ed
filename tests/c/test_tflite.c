/* TFLITE models through the C API against a live store (run under `smartredis run` in standalone, unix and cluster
 * modes): set_model(..., "TFLITE", ...) from memory and from a file, get_model, run_model on
 * tests/data/linear_6x4.tflite (y = x.w + b, w[i][j] = 0.1 (i+1) - 0.05 j, b[j] = 0.5 j, checked here) and on
 * the MNIST-sized CNN tests/data/mnist_cnn.tflite (checked against the outputs LiteRT computed,
 * tests/data/mnist_cnn.expected), and a bad flatbuffer's error.
 * argv[1]: tests/data (the directory). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_client.h"
#include "sr_models.h"
#include "sr_test.h"

#define PIXELS (28 * 28)
#define CLASSES 10

/* Reads mnist_cnn.expected: "input image 1 28 28 1", 784 values, "output probabilities 1 10", 10 values. */
static bool read_expected(const char* path, float* image, float* probabilities)
{
  FILE* f = fopen(path, "r");
  if (f == NULL) return false;
  bool ok = fscanf(f, "%*s %*s %*d %*d %*d %*d") == 0;
  for (size_t i = 0; ok && i < PIXELS; i++) ok = fscanf(f, "%f", &image[i]) == 1;
  ok = ok && fscanf(f, "%*s %*s %*d %*d") == 0;
  for (size_t i = 0; ok && i < CLASSES; i++) ok = fscanf(f, "%f", &probabilities[i]) == 1;
  fclose(f);
  return ok;
}

int main(int argc, char** argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: %s <tests/data>\n", argv[0]);
    return EXIT_FAILURE;
  }
  char path[4096];
  size_t lin_len = 0, cnn_len = 0;
  snprintf(path, sizeof path, "%s/linear_6x4.tflite", argv[1]);
  char* lin = sr_read_file(path, &lin_len);
  snprintf(path, sizeof path, "%s/mnist_cnn.tflite", argv[1]);
  char* cnn = sr_read_file(path, &cnn_len);
  static float image[PIXELS], want[CLASSES];
  snprintf(path, sizeof path, "%s/mnist_cnn.expected", argv[1]);
  bool have_expected = read_expected(path, image, want);
  CHECK(lin != NULL && cnn != NULL && have_expected);
  if (lin == NULL || cnn == NULL || !have_expected) return EXIT_FAILURE;

  void* c = NULL;
  CHECK_OK(SimpleCreateClient("test_tflite", 11, &c));

  /* The linear model: stored, fetched back byte for byte, run. */
  CHECK_OK(set_model(c, "t_lin", 5, lin, lin_len, "TFLITE", 6, "CPU", 3, 0, 0, 0, "", 0, NULL, NULL, 0, NULL,
                     NULL, 0));
  bool exists = false;
  CHECK_OK(model_exists(c, "t_lin", 5, &exists));
  CHECK(exists);
  const char* got = NULL;
  size_t got_length = 0;
  CHECK_OK(get_model(c, "t_lin", 5, &got_length, &got));
  CHECK(got_length == lin_len && got != NULL && memcmp(got, lin, lin_len) == 0);
  sr_run_linear(c, "t_lin", "t_x", "t_y");

  /* The CNN, from a file, with a tag. */
  snprintf(path, sizeof path, "%s/mnist_cnn.tflite", argv[1]);
  CHECK_OK(set_model_from_file(c, "t_cnn", 5, path, strlen(path), "TFLITE", 6, "CPU", 3, 0, 0, 0, "v1", 2, NULL,
                               NULL, 0, NULL, NULL, 0));
  size_t idims[4] = {1, 28, 28, 1}, pdims[2] = {1, CLASSES};
  CHECK_OK(put_tensor(c, "t_img", 5, image, idims, 4, SRTensorTypeFloat, SRMemLayoutContiguous));
  const char* ins[1] = {"t_img"};
  const char* outs[1] = {"t_prob"};
  size_t in_len[1] = {5}, out_len[1] = {6};
  CHECK_OK(run_model(c, "t_cnn", 5, ins, in_len, 1, outs, out_len, 1));
  float p[CLASSES] = {0};
  CHECK_OK(unpack_tensor(c, "t_prob", 6, p, pdims, 2, SRTensorTypeFloat, SRMemLayoutContiguous));
  for (size_t i = 0; i < CLASSES; i++)
    if (fabsf(p[i] - want[i]) > 1e-5f * (1.0f + fabsf(want[i]))) {
      fprintf(stderr, "t_cnn: p[%zu] = %g, LiteRT computed %g\n", i, p[i], want[i]);
      sr_test_failures++;
    }

  /* A bad flatbuffer: the server's text comes back. */
  CHECK_ERR(set_model(c, "t_bad", 5, "garbage", 7, "TFLITE", 6, "CPU", 3, 0, 0, 0, "", 0, NULL, NULL, 0, NULL,
                      NULL, 0),
            SRRuntimeError, "Failed to load model from buffer");

  CHECK_OK(delete_model(c, "t_lin", 5));
  CHECK_OK(delete_model(c, "t_cnn", 5));
  CHECK_OK(DeleteCClient(&c));
  free(lin);
  free(cnn);
  SR_TEST_END();
}
