/* Serial C example: connect with the environment's settings (SSDB, SR_DB_TYPE), store a 1-D tensor of
 * doubles, read it back into the caller's buffer and compare. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_client.h"

int main(void)
{
    const char* logger_name = "example_put_unpack_1D_c";
    const char* key = "example_c_tensor";
    double send[10], recv[10];
    size_t dims[1] = {10};
    void* client = NULL;
    int status = 1;

    for (size_t i = 0; i < 10; i++)
        send[i] = (double)i * 0.5;

    if (SimpleCreateClient(logger_name, strlen(logger_name), &client) != SRNoError)
        goto fail;
    if (put_tensor(client, key, strlen(key), send, dims, 1, SRTensorTypeDouble,
                   SRMemLayoutContiguous) != SRNoError)
        goto fail;
    if (unpack_tensor(client, key, strlen(key), recv, dims, 1, SRTensorTypeDouble,
                      SRMemLayoutContiguous) != SRNoError)
        goto fail;
    for (size_t i = 0; i < 10; i++) {
        if (recv[i] != send[i]) {
            fprintf(stderr, "mismatch at %zu: %f != %f\n", i, recv[i], send[i]);
            goto cleanup;
        }
    }
    printf("C example: stored and read back 10 doubles\n");
    status = 0;
    goto cleanup;

fail:
    fprintf(stderr, "SmartRedis error: %s (%s)\n", SRGetLastError(), SRGetLastErrorLocation());
cleanup:
    if (client != NULL)
        DeleteCClient(&client);
    return status;
}
