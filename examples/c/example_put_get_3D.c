/* Serial C example: a 3-D tensor of doubles stored from each memory layout (contiguous row-major, nested pointer
 * arrays, contiguous column-major/Fortran order), then read back with get_tensor and unpack_tensor in each layout.
 * Connects with the environment's settings (SSDB, SR_DB_TYPE). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_client.h"

#define D0 3
#define D1 4
#define D2 5
#define N (D0 * D1 * D2)

/* The value stored at index (i, j, k), whatever the layout. */
static double value(size_t i, size_t j, size_t k) { return 100.0 * i + 10.0 * j + k; }

/* Offsets of (i, j, k) in row-major and column-major order. */
static size_t row_major(size_t i, size_t j, size_t k) { return (i * D1 + j) * D2 + k; }
static size_t col_major(size_t i, size_t j, size_t k) { return (k * D1 + j) * D0 + i; }

/* Checks a contiguous buffer in the given order; returns the number of wrong elements. */
static int check_flat(const double* data, int fortran)
{
    int wrong = 0;
    for (size_t i = 0; i < D0; i++)
        for (size_t j = 0; j < D1; j++)
            for (size_t k = 0; k < D2; k++)
                wrong += data[fortran ? col_major(i, j, k) : row_major(i, j, k)] != value(i, j, k);
    return wrong;
}

int main(void)
{
    const char* logger_name = "example_put_get_3D_c";
    const char* keys[3] = {"example_3d_contiguous", "example_3d_nested", "example_3d_fortran"};
    size_t dims[3] = {D0, D1, D2};
    double row[N], col[N], out[N];
    double rows[D0][D1][D2];
    double* planes[D0][D1];
    double** nested[D0];
    void* client = NULL;
    int status = 1;

    for (size_t i = 0; i < D0; i++) {
        for (size_t j = 0; j < D1; j++) {
            for (size_t k = 0; k < D2; k++) {
                row[row_major(i, j, k)] = value(i, j, k);
                col[col_major(i, j, k)] = value(i, j, k);
                rows[i][j][k] = value(i, j, k);
            }
            planes[i][j] = rows[i][j];
        }
        nested[i] = planes[i];
    }

    if (SimpleCreateClient(logger_name, strlen(logger_name), &client) != SRNoError)
        goto fail;
    if (put_tensor(client, keys[0], strlen(keys[0]), row, dims, 3, SRTensorTypeDouble, SRMemLayoutContiguous) !=
            SRNoError ||
        put_tensor(client, keys[1], strlen(keys[1]), nested, dims, 3, SRTensorTypeDouble, SRMemLayoutNested) !=
            SRNoError ||
        put_tensor(client, keys[2], strlen(keys[2]), col, dims, 3, SRTensorTypeDouble,
                   SRMemLayoutFortranContiguous) != SRNoError)
        goto fail;

    for (int t = 0; t < 3; t++) {
        const char* key = keys[t];
        int wrong = 0;

        /* unpack_tensor into the caller's buffer, in row-major and in column-major order. */
        if (unpack_tensor(client, key, strlen(key), out, dims, 3, SRTensorTypeDouble, SRMemLayoutContiguous) !=
            SRNoError)
            goto fail;
        wrong += check_flat(out, 0);
        if (unpack_tensor(client, key, strlen(key), out, dims, 3, SRTensorTypeDouble,
                          SRMemLayoutFortranContiguous) != SRNoError)
            goto fail;
        wrong += check_flat(out, 1);

        /* get_tensor: memory owned by the client until DeleteCClient. */
        void* data = NULL;
        size_t* got_dims = NULL;
        size_t n_dims = 0;
        SRTensorType type = SRTensorTypeInvalid;
        if (get_tensor(client, key, strlen(key), &data, &got_dims, &n_dims, &type, SRMemLayoutNested) != SRNoError)
            goto fail;
        if (n_dims != 3 || type != SRTensorTypeDouble || got_dims[0] != D0 || got_dims[1] != D1 ||
            got_dims[2] != D2) {
            fprintf(stderr, "%s: unexpected type or shape\n", key);
            goto cleanup;
        }
        double*** got = (double***)data;
        for (size_t i = 0; i < D0; i++)
            for (size_t j = 0; j < D1; j++)
                for (size_t k = 0; k < D2; k++)
                    wrong += got[i][j][k] != value(i, j, k);
        if (wrong != 0) {
            fprintf(stderr, "%s: %d wrong element(s)\n", key, wrong);
            goto cleanup;
        }
        printf("C example: %s read back in contiguous, Fortran and nested layouts\n", key);
    }
    status = 0;
    goto cleanup;

fail:
    fprintf(stderr, "SmartRedis error: %s (%s)\n", SRGetLastError(), SRGetLastErrorLocation());
cleanup:
    if (client != NULL)
        DeleteCClient(&client);
    return status;
}
