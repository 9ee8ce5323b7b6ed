/* srexception.h: the last error, per thread. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "c_configoptions.h"
#include "sr_test.h"

static pthread_barrier_t barrier;

/* Each thread causes its own error, waits until all have, then checks it still sees its own. */
static void* worker(void* arg)
{
  const char* name = (const char*)arg;
  void* cfg = NULL;
  int64_t value = 0;
  int* failed = malloc(sizeof(int));
  *failed = 0;
  if (create_configoptions_from_environment("thr", 3, &cfg) != SRNoError)
    *failed = 1;
  if (get_integer_option(cfg, name, strlen(name), &value) != SRKeyError)
    *failed = 1;
  pthread_barrier_wait(&barrier);
  if (strstr(SRGetLastError(), name) == NULL) {
    fprintf(stderr, "thread %s sees last error \"%s\"\n", name, SRGetLastError());
    *failed = 1;
  }
  sr_configoptions_free(&cfg);
  return failed;
}

/* A new thread starts with no error. */
static void* fresh(void* arg)
{
  (void)arg;
  int* failed = malloc(sizeof(int));
  *failed = strcmp(SRGetLastError(), "no error") != 0 ||
            strcmp(SRGetLastErrorLocation(), "unavailable") != 0;
  return failed;
}

static int join(pthread_t t)
{
  void* result = NULL;
  pthread_join(t, &result);
  int failed = result == NULL || *(int*)result;
  free(result);
  return failed;
}

int main(void)
{
  void* cfg = NULL;
  int64_t value = 0;

  CHECK(strcmp(SRGetLastError(), "no error") == 0);
  CHECK(strcmp(SRGetLastErrorLocation(), "unavailable") == 0);

  CHECK_ERR(get_integer_option(NULL, "X", 1, &value), SRParameterError, "c_cfgopts");
  CHECK(strcmp(SRGetLastErrorLocation(), "get_integer_option") == 0);
  /* A successful call does not reset the last error (as upstream). */
  CHECK_OK(create_configoptions_from_environment("", 0, &cfg));
  CHECK(strstr(SRGetLastError(), "c_cfgopts") != NULL);
  CHECK_OK(sr_configoptions_free(&cfg));

  /* Per-thread last errors. */
  pthread_t threads[3];
  const char* names[3] = {"SRT_THREAD_ALPHA", "SRT_THREAD_BETA", "SRT_THREAD_GAMMA"};
  pthread_barrier_init(&barrier, NULL, 3);
  for (int i = 0; i < 3; i++)
    CHECK(pthread_create(&threads[i], NULL, worker, (void*)names[i]) == 0);
  for (int i = 0; i < 3; i++)
    CHECK(join(threads[i]) == 0);
  pthread_barrier_destroy(&barrier);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, fresh, NULL) == 0);
  CHECK(join(t) == 0);
  /* The main thread still sees its own error. */
  CHECK(strstr(SRGetLastError(), "c_cfgopts") != NULL);

  SR_TEST_END();
}
