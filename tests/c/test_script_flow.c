/* The SmartRedis MNIST flow through the C API (script pre_process -> CNN -> script post_process -> unpack) against
 * a live store in standalone, unix and cluster modes: set_model_from_file, set_script_from_file, get_script,
 * run_script, run_model, delete_script, with the log-probabilities and labels checked against the results of the
 * same model run directly in libtorch (written by tests/scripts.rs).
 * argv[1]: tests/data/mnist_cnn.pt (TorchScript, [n,1,28,28] -> [n,10] log-probabilities);
 * argv[2]: tests/data/mnist_script.txt (pre_process(x) = x / 255, post_process(y) = argmax(y, 1));
 * argv[3]: tests/data/mnist_expected.txt (a comment line, 10 log-probabilities per image, the labels). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_client.h"
#include "sr_test.h"

#define IMAGES 2
#define CLASSES 10

static void run1(void* c, const char* script, const char* fn, const char* in, const char* out)
{
  const char* ins[1] = {in};
  const char* outs[1] = {out};
  size_t in_len[1] = {strlen(in)}, out_len[1] = {strlen(out)};
  if (fn == NULL)
    CHECK_OK(run_model(c, script, strlen(script), ins, in_len, 1, outs, out_len, 1));
  else
    CHECK_OK(run_script(c, script, strlen(script), fn, strlen(fn), ins, in_len, 1, outs, out_len, 1));
}

/* Reads the expected results; false when the file does not parse. */
static bool read_expected(const char* path, float out[IMAGES][CLASSES], int64_t labels[IMAGES])
{
  FILE* f = fopen(path, "r");
  if (f == NULL) return false;
  char line[512];
  bool ok = fgets(line, sizeof line, f) != NULL && line[0] == '#';
  for (size_t n = 0; ok && n < IMAGES; n++)
    for (size_t j = 0; ok && j < CLASSES; j++) ok = fscanf(f, "%f", &out[n][j]) == 1;
  for (size_t n = 0; ok && n < IMAGES; n++) {
    long long l = 0;
    ok = fscanf(f, "%lld", &l) == 1;
    labels[n] = (int64_t)l;
  }
  fclose(f);
  return ok;
}

int main(int argc, char** argv)
{
  if (argc < 4) {
    fprintf(stderr, "usage: %s <mnist_cnn.pt> <mnist_script.txt> <mnist_expected.txt>\n", argv[0]);
    return EXIT_FAILURE;
  }
  float want[IMAGES][CLASSES];
  int64_t want_labels[IMAGES];
  if (!read_expected(argv[3], want, want_labels)) {
    fprintf(stderr, "cannot read %s\n", argv[3]);
    return EXIT_FAILURE;
  }
  void* c = NULL;
  CHECK_OK(SimpleCreateClient("test_script_flow", 16, &c));
  CHECK_OK(set_model_from_file(c, "c_mnist_cnn", 11, argv[1], strlen(argv[1]), "TORCH", 5, "CPU", 3, 0, 0, 0, "",
                               0, NULL, NULL, 0, NULL, NULL, 0));
  CHECK_OK(set_script_from_file(c, "c_flow_script", 13, "CPU", 3, argv[2], strlen(argv[2])));
  bool exists = false;
  CHECK_OK(model_exists(c, "c_flow_script", 13, &exists));
  CHECK(exists);
  const char* source = NULL;
  size_t source_length = 0;
  CHECK_OK(get_script(c, "c_flow_script", 13, &source, &source_length));
  CHECK(source != NULL && strstr(source, "def pre_process") != NULL && strlen(source) == source_length);

  /* Pixel i of image n, as tests/scripts.rs (mnist_pixel) computes it. */
  static float raw[IMAGES][1][28][28];
  for (size_t n = 0; n < IMAGES; n++)
    for (size_t i = 0; i < 784; i++) raw[n][0][i / 28][i % 28] = (float)((i * 37 + n * 101) % 256);
  size_t raw_dims[4] = {IMAGES, 1, 28, 28}, out_dims[2] = {IMAGES, CLASSES}, label_dims[1] = {IMAGES};
  CHECK_OK(put_tensor(c, "c_flow_raw", 10, raw, raw_dims, 4, SRTensorTypeFloat, SRMemLayoutContiguous));
  run1(c, "c_flow_script", "pre_process", "c_flow_raw", "c_flow_x");
  run1(c, "c_mnist_cnn", NULL, "c_flow_x", "c_flow_out");
  run1(c, "c_flow_script", "post_process", "c_flow_out", "c_flow_label");
  float out[IMAGES][CLASSES];
  int64_t labels[IMAGES];
  CHECK_OK(unpack_tensor(c, "c_flow_out", 10, out, out_dims, 2, SRTensorTypeFloat, SRMemLayoutContiguous));
  CHECK_OK(unpack_tensor(c, "c_flow_label", 12, labels, label_dims, 1, SRTensorTypeInt64, SRMemLayoutContiguous));
  for (size_t n = 0; n < IMAGES; n++) {
    for (size_t j = 0; j < CLASSES; j++)
      if (fabsf(out[n][j] - want[n][j]) > 1e-4f * (1.0f + fabsf(want[n][j]))) {
        fprintf(stderr, "out[%zu][%zu] = %g, expected %g\n", n, j, out[n][j], want[n][j]);
        sr_test_failures++;
      }
    CHECK(labels[n] == want_labels[n]);
  }

  const char* ins[1] = {"c_flow_raw"};
  const char* outs[1] = {"c_flow_q"};
  size_t in_len[1] = {10}, out_len[1] = {8};
  CHECK_ERR(run_script(c, "c_flow_script", 13, "nope", 4, ins, in_len, 1, outs, out_len, 1), SRRuntimeError,
            "Redis error when executing command");
  CHECK_ERR(set_script_multigpu(c, "c_gpu", 5, "x", 1, 0, 0), SRParameterError, "num_gpus");
  CHECK_OK(delete_script(c, "c_flow_script", 13));
  CHECK_OK(delete_model(c, "c_mnist_cnn", 11));
  CHECK_OK(model_exists(c, "c_flow_script", 13, &exists));
  CHECK(!exists);
  CHECK_OK(DeleteCClient(&c));
  SR_TEST_END();
}
