/* With SR_LOG_LEVEL=quiet and SR_LOG_FILE unset, creating a client prints nothing: upstream logs the notice
 * about the default log file at LLInfo, which quiet silences. LLQuiet messages are still written. stdout is
 * redirected to the file given as argv[1]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_client.h"
#include "c_logger.h"
#include "sr_test.h"

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
  void* c = NULL;
  CHECK_OK(SimpleCreateClient("quiet", 5, &c));
  log_data(c, LLInfo, "not shown", 9);
  log_data(c, LLQuiet, "shown", 5);
  CHECK_OK(DeleteCClient(&c));
  fflush(stdout);

  FILE* f = fopen(argv[1], "r");
  CHECK(f != NULL);
  if (f == NULL)
    SR_TEST_END();
  char line[512];
  size_t n = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    CHECK(strstr(line, "WARNING") == NULL);
    CHECK(strncmp(line, "quiet@", 6) == 0 && strstr(line, ":shown") != NULL);
    n++;
  }
  fclose(f);
  CHECK(n == 1);
  SR_TEST_END();
}
