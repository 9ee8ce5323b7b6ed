/* Consumer test (C): reads a configuration option, then stores and reads back a small tensor. */
#include <stdio.h>
#include <string.h>

#include "c_client.h"
#include "c_configoptions.h"

int main(void)
{
    void* cfg = NULL;
    void* client = NULL;
    bool configured = false;
    float send[4] = {1, 2, 3, 4}, recv[4] = {0};
    size_t dims[1] = {4};
    int status = 1;

    if (create_configoptions_from_environment("", 0, &cfg) != SRNoError ||
        is_configured(cfg, "SSDB", 4, &configured) != SRNoError || !configured)
        goto done;
    if (CreateClient(cfg, "consumer_c", 10, &client) != SRNoError ||
        put_tensor(client, "consumer_c", 10, send, dims, 1, SRTensorTypeFloat, SRMemLayoutContiguous) != SRNoError ||
        unpack_tensor(client, "consumer_c", 10, recv, dims, 1, SRTensorTypeFloat, SRMemLayoutContiguous) != SRNoError)
        goto done;
    status = memcmp(send, recv, sizeof send) == 0 ? 0 : 1;
done:
    if (status != 0)
        fprintf(stderr, "consumer_c failed: %s\n", SRGetLastError());
    DeleteCClient(&client);
    sr_configoptions_free(&cfg);
    return status;
}
