/* The SmartRedis flow through the C API (script -> model -> script -> unpack) against a live store in standalone,
 * unix and cluster modes: set_script_from_file, get_script, run_script, run_model, delete_script, with the
 * result checked against z = (2x).w + b + 1 computed here.
 * argv[1]: tests/data/linear_6x4.onnx (w[i][j] = 0.1 (i+1) - 0.05 j, b[j] = 0.5 j);
 * argv[2]: tests/data/data_processing_script.txt (pre_process(x) = 2x, post_process(y) = y + 1). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_client.h"
#include "sr_test.h"

#define K 6
#define M 4
#define ROWS 3

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

int main(int argc, char** argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: %s <linear_6x4.onnx> <data_processing_script.txt>\n", argv[0]);
    return EXIT_FAILURE;
  }
  void* c = NULL;
  CHECK_OK(SimpleCreateClient("test_script_flow", 16, &c));
  CHECK_OK(set_model_from_file(c, "c_flow_model", 12, argv[1], strlen(argv[1]), "ONNX", 4, "CPU", 3, 0, 0, 0, "",
                               0, NULL, NULL, 0, NULL, NULL, 0));
  CHECK_OK(set_script_from_file(c, "c_flow_script", 13, "CPU", 3, argv[2], strlen(argv[2])));
  bool exists = false;
  CHECK_OK(model_exists(c, "c_flow_script", 13, &exists));
  CHECK(exists);
  const char* source = NULL;
  size_t source_length = 0;
  CHECK_OK(get_script(c, "c_flow_script", 13, &source, &source_length));
  CHECK(source != NULL && strstr(source, "def pre_process") != NULL && strlen(source) == source_length);

  float x[ROWS][K], z[ROWS][M];
  size_t xdims[2] = {ROWS, K}, zdims[2] = {ROWS, M};
  for (size_t r = 0; r < ROWS; r++)
    for (size_t i = 0; i < K; i++) x[r][i] = 0.01f * (float)(r * K + i) - 0.2f;
  CHECK_OK(put_tensor(c, "c_flow_x", 8, x, xdims, 2, SRTensorTypeFloat, SRMemLayoutContiguous));
  run1(c, "c_flow_script", "pre_process", "c_flow_x", "c_flow_x2");
  run1(c, "c_flow_model", NULL, "c_flow_x2", "c_flow_y");
  run1(c, "c_flow_script", "post_process", "c_flow_y", "c_flow_z");
  CHECK_OK(unpack_tensor(c, "c_flow_z", 8, z, zdims, 2, SRTensorTypeFloat, SRMemLayoutContiguous));
  for (size_t r = 0; r < ROWS; r++)
    for (size_t j = 0; j < M; j++) {
      float want = 1.0f + 0.5f * (float)j;
      for (size_t i = 0; i < K; i++) want += 2.0f * x[r][i] * (0.1f * (float)(i + 1) - 0.05f * (float)j);
      if (fabsf(z[r][j] - want) > 1e-4f) {
        fprintf(stderr, "z[%zu][%zu] = %f, expected %f\n", r, j, z[r][j], want);
        sr_test_failures++;
      }
    }

  const char* ins[1] = {"c_flow_x"};
  const char* outs[1] = {"c_flow_q"};
  size_t in_len[1] = {8}, out_len[1] = {8};
  CHECK_ERR(run_script(c, "c_flow_script", 13, "nope", 4, ins, in_len, 1, outs, out_len, 1), SRRuntimeError,
            "Redis error when executing command");
  CHECK_ERR(set_script_multigpu(c, "c_gpu", 5, "x", 1, 0, 0), SRParameterError, "num_gpus");
  CHECK_OK(delete_script(c, "c_flow_script", 13));
  CHECK_OK(delete_model(c, "c_flow_model", 12));
  CHECK_OK(model_exists(c, "c_flow_script", 13, &exists));
  CHECK(!exists);
  CHECK_OK(DeleteCClient(&c));
  SR_TEST_END();
}
