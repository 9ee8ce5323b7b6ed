/* Helpers shared by the C model test programs: reading a model file, and running the linear model of
 * tests/data/linear_6x4.{onnx,tflite} (y = x.w + b, w[i][j] = 0.1 (i+1) - 0.05 j, b[j] = 0.5 j) with its result
 * checked against the same computation done here. */
#ifndef SR_MODELS_H
#define SR_MODELS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_client.h"
#include "sr_test.h"

#define SR_LIN_K 6
#define SR_LIN_M 4
#define SR_LIN_ROWS 3

/* The bytes of the file at `path` (malloc'd; NULL if it cannot be read) and their count in `*length`. */
static inline char* sr_read_file(const char* path, size_t* length)
{
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char* buf = n > 0 ? malloc((size_t)n) : NULL;
  *length = buf != NULL ? fread(buf, 1, (size_t)n, f) : 0;
  fclose(f);
  return buf;
}

/* Runs the linear model `model` on a [ROWS, K] input through tensors `in`/`out` and checks the [ROWS, M] output. */
static inline void sr_run_linear(void* c, const char* model, const char* in, const char* out)
{
  float x[SR_LIN_ROWS][SR_LIN_K], y[SR_LIN_ROWS][SR_LIN_M];
  size_t xdims[2] = {SR_LIN_ROWS, SR_LIN_K}, ydims[2] = {SR_LIN_ROWS, SR_LIN_M};
  for (size_t r = 0; r < SR_LIN_ROWS; r++)
    for (size_t i = 0; i < SR_LIN_K; i++) x[r][i] = 0.01f * (float)(r * SR_LIN_K + i) - 0.2f;
  CHECK_OK(put_tensor(c, in, strlen(in), x, xdims, 2, SRTensorTypeFloat, SRMemLayoutContiguous));
  const char* ins[1] = {in};
  const char* outs[1] = {out};
  size_t in_len[1] = {strlen(in)}, out_len[1] = {strlen(out)};
  CHECK_OK(run_model(c, model, strlen(model), ins, in_len, 1, outs, out_len, 1));
  memset(y, 0, sizeof y);
  CHECK_OK(unpack_tensor(c, out, strlen(out), y, ydims, 2, SRTensorTypeFloat, SRMemLayoutContiguous));
  for (size_t r = 0; r < SR_LIN_ROWS; r++)
    for (size_t j = 0; j < SR_LIN_M; j++) {
      float want = 0.5f * (float)j;
      for (size_t i = 0; i < SR_LIN_K; i++) want += x[r][i] * (0.1f * (float)(i + 1) - 0.05f * (float)j);
      if (fabsf(y[r][j] - want) > 1e-4f) {
        fprintf(stderr, "%s: y[%zu][%zu] = %f, expected %f\n", model, r, j, y[r][j], want);
        sr_test_failures++;
      }
    }
}

#endif /* SR_MODELS_H */
