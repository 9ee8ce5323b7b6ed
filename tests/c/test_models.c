/* Models through the C API against a live store (run under `smartredis run` in standalone, unix and cluster
 * modes): set_model (from memory and from a file), get_model, model_exists, poll_model, run_model with results
 * checked against y = x.w + b computed here, chunked uploads, delete, and error paths with the server's text.
 * argv[1]: tests/data/linear_6x4.onnx (w[i][j] = 0.1 (i+1) - 0.05 j, b[j] = 0.5 j). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_client.h"
#include "sr_models.h"
#include "sr_test.h"

int main(int argc, char** argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: %s <linear_6x4.onnx>\n", argv[0]);
    return EXIT_FAILURE;
  }
  size_t length = 0;
  char* model = sr_read_file(argv[1], &length);
  CHECK(model != NULL && length > 0);
  if (model == NULL) return EXIT_FAILURE;

  void* c = NULL;
  CHECK_OK(SimpleCreateClient("test_models", 11, &c));

  bool exists = true;
  CHECK_OK(model_exists(c, "c_lin", 5, &exists));
  CHECK(!exists);
  CHECK_OK(set_model(c, "c_lin", 5, model, length, "ONNX", 4, "CPU", 3, 0, 0, 0, "", 0, NULL, NULL, 0, NULL,
                     NULL, 0));
  CHECK_OK(model_exists(c, "c_lin", 5, &exists));
  CHECK(exists);
  CHECK_OK(poll_model(c, "c_lin", 5, 10, 3, &exists));
  CHECK(exists);
  const char* got = NULL;
  size_t got_length = 0;
  CHECK_OK(get_model(c, "c_lin", 5, &got_length, &got));
  CHECK(got_length == length && got != NULL && memcmp(got, model, length) == 0);
  sr_run_linear(c, "c_lin", "c_x", "c_y");

  /* From a file, with a tag, batching and the Fortran wrapper's "no names" (one empty name). */
  const char* none[1] = {""};
  size_t none_len[1] = {0};
  CHECK_OK(set_model_from_file(c, "c_lin_file", 10, argv[1], strlen(argv[1]), "onnx", 4, "CPU", 3, 4, 1, 0,
                               "v1", 2, none, none_len, 1, none, none_len, 1));
  sr_run_linear(c, "c_lin_file", "c_x2", "c_y2");

  /* Chunked upload and download. */
  CHECK_OK(sr_set_model_chunk_size(c, 64));
  CHECK_OK(set_model(c, "c_chunked", 9, model, length, "ONNX", 4, "CPU", 3, 0, 0, 0, NULL, 0, NULL, NULL, 0,
                     NULL, NULL, 0));
  CHECK_OK(get_model(c, "c_chunked", 9, &got_length, &got));
  CHECK(got_length == length && memcmp(got, model, length) == 0);
  sr_run_linear(c, "c_chunked", "c_x3", "c_y3");
  CHECK_ERR(sr_set_model_chunk_size(c, 0), SRParameterError, "chunk_size");

  /* Errors: the server's text comes back; arguments are checked. */
  const char* ins[1] = {"c_missing"};
  const char* outs[1] = {"c_out"};
  size_t lens[1] = {9}, out_lens[1] = {5};
  CHECK_ERR(run_model(c, "c_lin", 5, ins, lens, 1, outs, out_lens, 1), SRRuntimeError, "tensor key is empty");
  const char* present[1] = {"c_x"};
  size_t present_len[1] = {3};
  CHECK_ERR(run_model(c, "c_nomodel", 9, present, present_len, 1, outs, out_lens, 1), SRRuntimeError,
            "model key is empty");
  CHECK_ERR(set_model(c, "c_bad", 5, "garbage", 7, "ONNX", 4, "CPU", 3, 0, 0, 0, "", 0, NULL, NULL, 0, NULL, NULL,
                      0),
            SRRuntimeError, "Redis error when executing command");
  CHECK_ERR(set_model(c, "c_bad", 5, model, length, "NOSUCH", 6, "CPU", 3, 0, 0, 0, "", 0, NULL, NULL, 0, NULL,
                      NULL, 0),
            SRRuntimeError, "unsupported backend");
  CHECK_ERR(set_model(c, "c_bad", 5, model, length, "ONNX", 4, "XPU", 3, 0, 0, 0, "", 0, NULL, NULL, 0, NULL,
                      NULL, 0),
            SRRuntimeError, "Invalid DEVICE");
  CHECK_ERR(run_model(c, "c_lin", 5, NULL, lens, 1, outs, out_lens, 1), SRParameterError, "inputs");
  CHECK_ERR(set_model_multigpu(c, "c_mg", 4, model, length, "ONNX", 4, 0, 0, 0, 0, 0, "", 0, NULL, NULL, 0, NULL,
                               NULL, 0),
            SRParameterError, "num_gpus");
  CHECK_ERR(set_model(NULL, "c_bad", 5, model, length, "ONNX", 4, "CPU", 3, 0, 0, 0, "", 0, NULL, NULL, 0, NULL,
                      NULL, 0),
            SRParameterError, NULL);

  CHECK_OK(delete_model(c, "c_lin", 5));
  CHECK_OK(delete_model(c, "c_lin_file", 10));
  CHECK_OK(delete_model(c, "c_chunked", 9));
  CHECK_OK(poll_model(c, "c_lin", 5, 1, 2, &exists));
  CHECK(!exists);
  CHECK_OK(DeleteCClient(&c));
  free(model);
  SR_TEST_END();
}
