/* client_bench: put_tensor / unpack_tensor latency of the SmartRedis C API against raw SET/GET (redis-benchmark
 * -c 1 -P 1) on the same server, in the same run, plus the small-put rate and peak memory.
 *
 * Uses only the public C API. Run it with SSDB pointing at a standalone server with the module, e.g.
 *   taskset -c 0 target/release/smartredis run -- build/bench/client_bench
 * Options: -t <seconds timed per size and op> (1.0), -w <warm-up seconds> (0.25), -q (skip redis-benchmark).
 * Method as reference/perf-baseline.md: every call timed on its own, median reported; one key per size,
 * overwritten by every put; unpack into a caller-owned buffer; the data are checked once per size. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "c_client.h"

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void* a, const void* b)
{
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static long max_rss_kib(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static long current_rss_kib(void)
{
  long pages = 0, resident = 0;
  FILE* f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void die(const char* what, SRError e)
{
  fprintf(stderr, "%s failed (%d): %s\n", what, (int)e, SRGetLastError());
  exit(1);
}

#define MAX_SAMPLES 1000000
static double samples[MAX_SAMPLES];

typedef enum { OP_PUT, OP_UNPACK } op_t;

/* Median seconds per call of `op` on `n` doubles, over `secs` (at least 5 calls) after `warm` seconds. */
static double time_op(void* c, op_t op, const char* key, double* in, double* out, size_t n, double warm,
                      double secs)
{
  size_t dims[1] = {n};
  size_t count = 0;
  double start = now(), t0;
  int timing = 0;
  for (;;) {
    t0 = now();
    SRError e = op == OP_PUT
                    ? put_tensor(c, key, strlen(key), in, dims, 1, SRTensorTypeDouble, SRMemLayoutContiguous)
                    : unpack_tensor(c, key, strlen(key), out, dims, 1, SRTensorTypeDouble, SRMemLayoutContiguous);
    double t1 = now();
    if (e != SRNoError) die(op == OP_PUT ? "put_tensor" : "unpack_tensor", e);
    if (!timing) {
      if (t1 - start >= warm) {
        timing = 1;
        start = t1;
      }
      continue;
    }
    if (count < MAX_SAMPLES) samples[count++] = t1 - t0;
    if (t1 - start >= secs && count >= 5) break;
  }
  qsort(samples, count, sizeof(double), cmp_double);
  return samples[count / 2];
}

/* Seconds per op of redis-benchmark SET and GET with a payload of `size` bytes, `requests` each. */
static int raw_set_get(const char* host, const char* port, size_t size, int requests, const char* extra,
                       double* set_s, double* get_s)
{
  char cmd[512];
  snprintf(cmd, sizeof cmd, "redis-benchmark -h %s -p %s -t set,get -d %zu -n %d -c 1 -P 1 %s --csv 2>/dev/null",
           host, port, size, requests, extra);
  FILE* p = popen(cmd, "r");
  if (!p) return -1;
  char line[1024];
  *set_s = *get_s = 0;
  while (fgets(line, sizeof line, p)) {
    char name[32];
    double rps;
    if (sscanf(line, "\"%31[^\"]\",\"%lf\"", name, &rps) == 2 && rps > 0) {
      if (strcmp(name, "SET") == 0) *set_s = 1.0 / rps;
      if (strcmp(name, "GET") == 0) *get_s = 1.0 / rps;
    }
  }
  return pclose(p) == 0 && *set_s > 0 && *get_s > 0 ? 0 : -1;
}

static void fmt_time(char* buf, size_t len, double s)
{
  if (s >= 1e-3)
    snprintf(buf, len, "%.2f ms", s * 1e3);
  else
    snprintf(buf, len, "%.1f us", s * 1e6);
}

int main(int argc, char** argv)
{
  double secs = 1.0, warm = 0.25;
  int raw = 1, opt;
  while ((opt = getopt(argc, argv, "t:w:q")) != -1) {
    if (opt == 't') secs = atof(optarg);
    else if (opt == 'w') warm = atof(optarg);
    else if (opt == 'q') raw = 0;
    else {
      fprintf(stderr, "usage: %s [-t secs] [-w secs] [-q]\n", argv[0]);
      return 2;
    }
  }
  if (!getenv("SR_LOG_LEVEL")) setenv("SR_LOG_LEVEL", "quiet", 1);
  if (!getenv("SR_LOG_FILE")) setenv("SR_LOG_FILE", "/dev/null", 1);
  const char* ssdb = getenv("SSDB");
  if (!ssdb) {
    fprintf(stderr, "SSDB must be set (host:port of a standalone server with the module)\n");
    return 2;
  }
  char host[256] = "127.0.0.1", port[16] = "6379";
  const char* colon = strrchr(ssdb, ':');
  if (colon && strncmp(ssdb, "unix://", 7) != 0) {
    const char* h = strncmp(ssdb, "tcp://", 6) == 0 ? ssdb + 6 : ssdb;
    snprintf(host, sizeof host, "%.*s", (int)(colon - h), h);
    snprintf(port, sizeof port, "%s", colon + 1);
  }

  static const size_t sizes[] = {8, 1024, 64 << 10, 1 << 20, 16 << 20, 128 << 20};
  static const int requests[] = {20000, 20000, 10000, 1000, 50, 10};
  static const char* labels[] = {"8 B", "1 KiB", "64 KiB", "1 MiB", "16 MiB", "128 MiB"};
  const size_t nsizes = sizeof sizes / sizeof sizes[0];
  const size_t max_bytes = sizes[nsizes - 1];

  long rss_start = current_rss_kib();
  void* c = NULL;
  SRError e = SmartRedisCClient(false, "bench", 5, &c);
  if (e != SRNoError) die("SmartRedisCClient", e);
  /* The caller's buffers, touched so they are resident: what the client may use beyond them is measured. */
  double* in = malloc(max_bytes);
  double* out = malloc(max_bytes);
  if (!in || !out) return 1;
  for (size_t i = 0; i < max_bytes / sizeof(double); i++) in[i] = (double)i * 0.5;
  /* Non-zero, so the compiler cannot turn malloc + memset into calloc and leave the pages untouched. */
  memset(out, 0x5a, max_bytes);
  long rss_buffers = current_rss_kib();

  printf("| size | op | smartredis-rs | raw redis-benchmark | ratio |\n|---|---|---:|---:|---:|\n");
  double worst = 0;
  for (size_t s = 0; s < nsizes; s++) {
    size_t n = sizes[s] / sizeof(double);
    char key[32];
    snprintf(key, sizeof key, "bench_%zu", sizes[s]);
    double put = time_op(c, OP_PUT, key, in, out, n, warm, secs);
    memset(out, 0x5a, sizes[s]);
    double unpack = time_op(c, OP_UNPACK, key, in, out, n, warm, secs);
    if (memcmp(in, out, sizes[s]) != 0) {
      fprintf(stderr, "data mismatch at size %zu\n", sizes[s]);
      return 1;
    }
    double set_s = 0, get_s = 0;
    if (raw && raw_set_get(host, port, sizes[s], requests[s], "", &set_s, &get_s) != 0) {
      fprintf(stderr, "redis-benchmark failed at size %zu\n", sizes[s]);
      raw = 0;
    }
    char a[32], b[32];
    fmt_time(a, sizeof a, put);
    fmt_time(b, sizeof b, set_s);
    if (raw) {
      printf("| %s | put_tensor / SET | %s | %s | %.2fx |\n", labels[s], a, b, put / set_s);
      fmt_time(a, sizeof a, unpack);
      fmt_time(b, sizeof b, get_s);
      printf("| %s | unpack_tensor / GET | %s | %s | %.2fx |\n", labels[s], a, b, unpack / get_s);
      if (put / set_s > worst) worst = put / set_s;
      if (unpack / get_s > worst) worst = unpack / get_s;
    } else {
      printf("| %s | put_tensor | %s | - | - |\n", labels[s], a);
      fmt_time(a, sizeof a, unpack);
      printf("| %s | unpack_tensor | %s | - | - |\n", labels[s], a);
    }
    fflush(stdout);
  }

  /* 20,000 small puts (16 floats) under distinct keys. */
  float small[16];
  for (int i = 0; i < 16; i++) small[i] = (float)i;
  size_t sdims[1] = {16};
  double t0 = now();
  for (int i = 0; i < 20000; i++) {
    char key[32];
    snprintf(key, sizeof key, "small_%d", i);
    e = put_tensor(c, key, strlen(key), small, sdims, 1, SRTensorTypeFloat, SRMemLayoutContiguous);
    if (e != SRNoError) die("put_tensor (small)", e);
  }
  double small_s = now() - t0;
  printf("\nsmall puts: 20000 x 64 B, distinct keys, in %.3f s = %.0f ops/s", small_s, 20000 / small_s);
  double rset = 0, rget = 0;
  if (raw && raw_set_get(host, port, 64, 20000, "-r 1000000", &rset, &rget) == 0)
    printf("; raw SET of 64 B on random keys: %.0f ops/s; ratio (time per op) %.2fx", 1.0 / rset,
           (small_s / 20000) / rset);
  printf("\n");

  long peak_put_unpack = max_rss_kib();
  /* get_tensor of the largest tensor: the client allocates it (once) and keeps it until DeleteCClient. */
  void* gdata;
  size_t* gdims;
  size_t gn;
  SRTensorType gtype;
  char key[32];
  snprintf(key, sizeof key, "bench_%zu", max_bytes);
  e = get_tensor(c, key, strlen(key), &gdata, &gdims, &gn, &gtype, SRMemLayoutContiguous);
  if (e != SRNoError) die("get_tensor", e);
  if (memcmp(gdata, in, max_bytes) != 0) {
    fprintf(stderr, "get_tensor data mismatch\n");
    return 1;
  }
  long peak_get = max_rss_kib();
  printf("peak RSS: %.1f MiB at start, %.1f MiB with the caller's buffers (2 x %zu MiB)\n", rss_start / 1024.0,
         rss_buffers / 1024.0, max_bytes >> 20);
  printf("peak RSS beyond the caller's buffers: %.1f MiB (put/unpack, all sizes); %.1f MiB beyond buffers + N "
         "after get_tensor of N = %zu MiB\n",
         (peak_put_unpack - rss_buffers) / 1024.0, (peak_get - rss_buffers) / 1024.0 - (double)(max_bytes >> 20),
         max_bytes >> 20);
  if (raw) printf("worst ratio to raw SET/GET: %.2fx\n", worst);
  DeleteCClient(&c);
  free(in);
  free(out);
  return 0;
}
