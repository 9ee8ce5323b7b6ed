/* Starts a 3-shard cluster through the C API, checks address, type, status and CONFIG SET, then stops it.
 * Usage: orchestrator <working dir>. Exit 0 on success; prints the failing call and SRGetLastError() otherwise.
 * The prototypes are declared here until the generated header carries the orchestrator API. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef int SRError; /* SRNoError = 0 */
typedef enum { SRDbStandalone = 0, SRDbClustered = 1 } SRDbType;
typedef enum { SRShardRunning = 0, SRShardUnresponsive = 1, SRShardExited = 2 } SRShardState;

extern const char *SRGetLastError(void);
extern SRError sr_orchestrator_options_new(void **options);
extern SRError sr_orchestrator_options_free(void *options);
extern SRError sr_orchestrator_options_set_shards(void *options, size_t shards);
extern SRError sr_orchestrator_options_set_dir(void *options, const char *dir, size_t dir_len);
extern SRError sr_orchestrator_options_set_module_threads(void *options, uint32_t tpq, uint32_t inter, uint32_t intra);
extern SRError sr_orchestrator_new(const void *options, void **orchestrator);
extern SRError sr_orchestrator_start(void *orchestrator);
extern SRError sr_orchestrator_address(void *orchestrator, const char **address, size_t *address_len);
extern SRError sr_orchestrator_db_type(void *orchestrator, SRDbType *db_type);
extern SRError sr_orchestrator_is_active(void *orchestrator, bool *active);
extern SRError sr_orchestrator_status(void *orchestrator, SRShardState *states, size_t states_len, size_t *n_shards);
extern SRError sr_orchestrator_config_set(void *orchestrator, const char *name, size_t name_len, const char *value,
                                          size_t value_len);
extern SRError sr_orchestrator_stop(void *orchestrator);
extern SRError sr_orchestrator_free(void *orchestrator);

#define CHECK(call)                                                                                                  \
    do {                                                                                                             \
        if ((call) != 0) {                                                                                           \
            fprintf(stderr, "%s failed: %s\n", #call, SRGetLastError());                                             \
            goto cleanup;                                                                                            \
        }                                                                                                            \
    } while (0)

int main(int argc, char **argv) {
    int rc = 1;
    void *opts = NULL, *orc = NULL;
    const char *address = NULL;
    size_t address_len = 0, n_shards = 0;
    SRDbType type = SRDbStandalone;
    SRShardState states[8];
    bool active = false;
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    CHECK(sr_orchestrator_options_new(&opts));
    CHECK(sr_orchestrator_options_set_shards(opts, 3));
    CHECK(sr_orchestrator_options_set_dir(opts, argv[1], strlen(argv[1])));
    CHECK(sr_orchestrator_options_set_module_threads(opts, 1, 0, 0));
    CHECK(sr_orchestrator_new(opts, &orc));
    CHECK(sr_orchestrator_options_free(opts));
    opts = NULL;
    CHECK(sr_orchestrator_start(orc));
    CHECK(sr_orchestrator_address(orc, &address, &address_len));
    CHECK(sr_orchestrator_db_type(orc, &type));
    CHECK(sr_orchestrator_is_active(orc, &active));
    CHECK(sr_orchestrator_status(orc, states, 8, &n_shards));
    CHECK(sr_orchestrator_config_set(orc, "maxclients", 10, "2000", 4));
    printf("SSDB=%s\nSR_DB_TYPE=%s\nactive=%d shards=%zu\n", address, type == SRDbClustered ? "Clustered" : "Standalone",
           (int)active, n_shards);
    if (type != SRDbClustered || !active || n_shards != 3 || strlen(address) != address_len) {
        fprintf(stderr, "unexpected state\n");
        goto cleanup;
    }
    for (size_t i = 0; i < n_shards; i++) {
        if (states[i] != SRShardRunning) {
            fprintf(stderr, "shard %zu not running\n", i);
            goto cleanup;
        }
    }
    CHECK(sr_orchestrator_stop(orc));
    CHECK(sr_orchestrator_is_active(orc, &active));
    if (active) {
        fprintf(stderr, "still active after stop\n");
        goto cleanup;
    }
    /* A wrong handle is an error, not a crash. */
    if (sr_orchestrator_start(NULL) == 0) {
        fprintf(stderr, "start(NULL) succeeded\n");
        goto cleanup;
    }
    rc = 0;
cleanup:
    sr_orchestrator_free(orc);
    sr_orchestrator_options_free(opts);
    return rc;
}
