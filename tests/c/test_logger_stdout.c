/* Logging to stdout (SR_LOG_FILE empty): upstream's warning at the first log call, lines in order with the
 * program's own printf output, and "Logging failure" reports. stdout is redirected to the file given as argv[1]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_logger.h"
#include "sr_test.h"

#define S(lit) lit, strlen(lit)

int main(int argc, char** argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: %s <capture file>\n", argv[0]);
    return EXIT_FAILURE;
  }
  if (freopen(argv[1], "w", stdout) == NULL) {
    perror("freopen");
    return EXIT_FAILURE;
  }
  printf("before\n");
  log_data_string(S("out ctx"), LLInfo, S("to stdout"));
  printf("between\n");
  log_data_string(S("out ctx"), (SRLoggingLevel)-1, S("bad level"));
  log_error_string(S("out ctx"), LLQuiet, S("after"));
  fflush(stdout);

  const char* expected[] = {
    "before",
    "SmartRedis Library@HH-MM-SS:WARNING: Environment variable SR_LOG_FILE is not set. Defaulting to stdout",
    "out ctx@HH-MM-SS:to stdout",
    "between",
    "Logging failure: log_data_noexcept_string: -1 is not a valid SRLoggingLevel",
    "out ctx@HH-MM-SS:ERROR: after",
  };
  size_t n_expected = sizeof expected / sizeof expected[0];

  FILE* f = fopen(argv[1], "r");
  CHECK(f != NULL);
  if (f == NULL)
    SR_TEST_END();
  char line[512];
  size_t n = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    /* Mask the time stamp: <context>@dd-dd-dd: */
    char* at = strchr(line, '@');
    if (at != NULL && strlen(at) > 9 && at[3] == '-' && at[6] == '-' && at[9] == ':')
      memcpy(at + 1, "HH-MM-SS", 8);
    if (n >= n_expected || strcmp(line, expected[n]) != 0) {
      fprintf(stderr, "line %zu: got \"%s\", expected \"%s\"\n", n, line,
              n < n_expected ? expected[n] : "(none)");
      sr_test_failures++;
    }
    n++;
  }
  fclose(f);
  CHECK(n == n_expected);
  SR_TEST_END();
}
