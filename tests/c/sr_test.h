/* Minimal assertion helpers shared by the C test programs. */
#ifndef SR_TEST_H
#define SR_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srexception.h"

static int sr_test_failures = 0;

/* Whether `haystack` contains `needle` (a NULL needle matches anything). */
static inline int sr_contains(const char* haystack, const char* needle)
{
  return needle == NULL || strstr(haystack, needle) != NULL;
}

/* Records a failure (and keeps going) when `cond` is false. */
#define CHECK(cond)                                                                    \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);          \
      sr_test_failures++;                                                              \
    }                                                                                  \
  } while (0)

/* Checks that `call` returned `code` and that SRGetLastError() contains `text` (if not NULL). */
#define CHECK_ERR(call, code, text)                                                    \
  do {                                                                                 \
    SRError sr_err_ = (call);                                                          \
    if (sr_err_ != (code)) {                                                           \
      fprintf(stderr, "%s:%d: %s returned %d, expected %d (%s); last error: %s\n",     \
              __FILE__, __LINE__, #call, (int)sr_err_, (int)(code), #code,             \
              SRGetLastError());                                                       \
      sr_test_failures++;                                                              \
    } else if (!sr_contains(SRGetLastError(), (text))) {                               \
      fprintf(stderr, "%s:%d: %s: last error \"%s\" lacks \"%s\"\n", __FILE__,         \
              __LINE__, #call, SRGetLastError(), (text) ? (const char*)(text) : "");    \
      sr_test_failures++;                                                              \
    }                                                                                  \
  } while (0)

/* Checks that `call` succeeded. */
#define CHECK_OK(call) CHECK_ERR(call, SRNoError, NULL)

/* Ends main(): prints a summary and returns the exit status. */
#define SR_TEST_END()                                                                  \
  do {                                                                                 \
    if (sr_test_failures) {                                                            \
      fprintf(stderr, "%d check(s) failed\n", sr_test_failures);                       \
      return EXIT_FAILURE;                                                             \
    }                                                                                  \
    printf("all checks passed\n");                                                     \
    return EXIT_SUCCESS;                                                               \
  } while (0)

#endif /* SR_TEST_H */
