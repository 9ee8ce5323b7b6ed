/* Consumer test (C), built against an installed prefix only.
 *   consumer_c               a client from the environment (SSDB, set by `smartredis run`) stores and reads back
 *                            a small tensor;
 *   consumer_c orchestrator DIR
 *                            the orchestrator API starts a 3-shard store in DIR (the module found from the
 *                            installed library, or beside `smartredis` on PATH when linked statically), a client
 *                            from it stores and reads back the tensor, and the store is stopped. */
#include <stdio.h>
#include <string.h>

#include "c_client.h"
#include "c_configoptions.h"
#include "smartredis.h"

/* Puts a float tensor and unpacks it again; 0 when the values come back. */
static int round_trip(void* client)
{
    float send[4] = {1, 2, 3, 4}, recv[4] = {0};
    size_t dims[1] = {4};
    if (put_tensor(client, "consumer_c", 10, send, dims, 1, SRTensorTypeFloat, SRMemLayoutContiguous) != SRNoError ||
        unpack_tensor(client, "consumer_c", 10, recv, dims, 1, SRTensorTypeFloat, SRMemLayoutContiguous) != SRNoError)
        return 1;
    return memcmp(send, recv, sizeof send) == 0 ? 0 : 1;
}

static int from_environment(void)
{
    void* cfg = NULL;
    void* client = NULL;
    bool configured = false;
    int status = 1;
    if (create_configoptions_from_environment("", 0, &cfg) == SRNoError &&
        is_configured(cfg, "SSDB", 4, &configured) == SRNoError && configured &&
        CreateClient(cfg, "consumer_c", 10, &client) == SRNoError)
        status = round_trip(client);
    if (status != 0)
        fprintf(stderr, "consumer_c failed: %s\n", SRGetLastError());
    DeleteCClient(&client);
    sr_configoptions_free(&cfg);
    return status;
}

static int with_orchestrator(const char* dir)
{
    void* opts = NULL;
    void* orc = NULL;
    void* client = NULL;
    SRDbType type = SRDbStandalone;
    int status = 1;
    if (sr_orchestrator_options_new(&opts) != SRNoError ||
        sr_orchestrator_options_set_shards(opts, 3) != SRNoError ||
        sr_orchestrator_options_set_dir(opts, dir, strlen(dir)) != SRNoError ||
        sr_orchestrator_new(opts, &orc) != SRNoError || sr_orchestrator_start(orc) != SRNoError ||
        sr_orchestrator_db_type(orc, &type) != SRNoError || type != SRDbClustered ||
        sr_orchestrator_create_client(orc, "consumer_c", 10, &client) != SRNoError)
        goto done;
    status = round_trip(client);
done:
    if (status != 0)
        fprintf(stderr, "consumer_c orchestrator failed: %s\n", SRGetLastError());
    DeleteCClient(&client);
    if (orc != NULL && sr_orchestrator_stop(orc) != SRNoError) {
        fprintf(stderr, "consumer_c: stop failed: %s\n", SRGetLastError());
        status = 1;
    }
    sr_orchestrator_free(orc);
    sr_orchestrator_options_free(opts);
    return status;
}

int main(int argc, char** argv)
{
    if (argc == 3 && strcmp(argv[1], "orchestrator") == 0)
        return with_orchestrator(argv[2]);
    return from_environment();
}
