/* c_logger.h and c_logcontext.h: logs to $SR_LOG_FILE (set by ctest) and reads the lines back.
 * Usage: c_logger [debug]   -- "debug" when SR_LOG_LEVEL=debug, otherwise SR_LOG_LEVEL=info is expected. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_configoptions.h"
#include "c_logcontext.h"
#include "c_logger.h"
#include "sr_test.h"

#define S(lit) lit, strlen(lit)
#define MAX_LINES 64

/* Checks `<context>@HH-MM-SS:<data>` and splits it; returns false if malformed. */
static bool parse_line(char* line, char** context, char** data)
{
  char* at = strchr(line, '@');
  if (at == NULL || strlen(at) < 10)
    return false;
  const char* t = at + 1;
  for (int i = 0; i < 8; i++) {
    bool ok = (i == 2 || i == 5) ? t[i] == '-' : isdigit((unsigned char)t[i]) != 0;
    if (!ok)
      return false;
  }
  if (t[8] != ':')
    return false;
  *at = '\0';
  *context = line;
  *data = at + 10;
  return true;
}

int main(int argc, char** argv)
{
  bool debug = argc > 1 && strcmp(argv[1], "debug") == 0;
  const char* path = getenv("SR_LOG_FILE");
  if (path == NULL) {
    fprintf(stderr, "SR_LOG_FILE must be set (ctest sets it)\n");
    return EXIT_FAILURE;
  }
  remove(path); /* before the first log call, which opens it */

  void* ctx = NULL;
  CHECK_OK(SmartRedisCLogContext(S("app ctx"), &ctx)); /* logs "New LogContext created" at LLDebug */
  log_data(ctx, LLQuiet, S("quiet msg"));
  log_data(ctx, LLInfo, S("info msg"));
  log_warning(ctx, LLDebug, S("debug msg"));
  log_error(ctx, LLDeveloper, S("developer msg"));
  log_data_string(S("str ctx"), LLInfo, S("string msg"));
  log_warning_string(S("str ctx"), LLQuiet, S("w"));
  log_error_noexcept_string(S("str ctx"), LLInfo, S("e"));
  log_data_noexcept(ctx, LLInfo, "abcdef", 3); /* not NUL-terminated: exactly 3 bytes */

  /* Bad arguments: nothing is logged, the last error says why. */
  log_data(ctx, (SRLoggingLevel)99, S("bad level"));
  CHECK(strstr(SRGetLastError(), "99 is not a valid SRLoggingLevel") != NULL);
  log_data(ctx, LLInvalid, S("invalid level"));
  CHECK(strstr(SRGetLastError(), "LLInvalid") != NULL);
  log_data(NULL, LLInfo, S("null context"));
  CHECK(strstr(SRGetLastError(), "context != NULL") != NULL);
  log_data(ctx, LLInfo, NULL, 4);
  CHECK(strstr(SRGetLastError(), "data != NULL") != NULL);
  log_data_string(NULL, 3, LLInfo, S("null string context"));
  CHECK(strstr(SRGetLastError(), "context") != NULL);
  void* cfg = NULL;
  CHECK_OK(create_configoptions_from_environment("", 0, &cfg));
  log_data(cfg, LLInfo, S("wrong kind"));
  CHECK(strstr(SRGetLastError(), "not a valid Client, DataSet or LogContext handle") != NULL);
  CHECK(strcmp(SRGetLastErrorLocation(), "log_data_noexcept") == 0);
  CHECK_OK(sr_configoptions_free(&cfg));

  CHECK_ERR(SmartRedisCLogContext(NULL, 1, &ctx), SRParameterError, "context");
  CHECK_ERR(SmartRedisCLogContext(S("x"), NULL), SRParameterError, "new_logcontext");
  CHECK_OK(DeallocateLogContext(&ctx));
  CHECK(ctx == NULL);
  CHECK_OK(DeallocateLogContext(&ctx));
  CHECK_ERR(DeallocateLogContext(NULL), SRParameterError, "logcontext");

  /* Read back. */
  const char* expected[MAX_LINES][2];
  int n_expected = 0;
#define EXPECT(c, d) (expected[n_expected][0] = (c), expected[n_expected][1] = (d), n_expected++)
  if (debug)
    EXPECT("app ctx", "New LogContext created");
  EXPECT("app ctx", "quiet msg");
  EXPECT("app ctx", "info msg");
  if (debug)
    EXPECT("app ctx", "WARNING: debug msg");
  EXPECT("str ctx", "string msg");
  EXPECT("str ctx", "WARNING: w");
  EXPECT("str ctx", "ERROR: e");
  EXPECT("app ctx", "abc");

  FILE* f = fopen(path, "r");
  CHECK(f != NULL);
  if (f == NULL)
    SR_TEST_END();
  char line[512];
  int n = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    size_t len = strlen(line);
    CHECK(len > 0 && line[len - 1] == '\n');
    if (len > 0 && line[len - 1] == '\n')
      line[len - 1] = '\0';
    char* context = NULL;
    char* data = NULL;
    if (!parse_line(line, &context, &data)) {
      fprintf(stderr, "malformed log line: %s\n", line);
      sr_test_failures++;
      continue;
    }
    if (n >= n_expected || strcmp(context, expected[n][0]) != 0 || strcmp(data, expected[n][1]) != 0) {
      fprintf(stderr, "log line %d: got \"%s\" / \"%s\", expected \"%s\" / \"%s\"\n", n, context, data,
              n < n_expected ? expected[n][0] : "(none)", n < n_expected ? expected[n][1] : "(none)");
      sr_test_failures++;
    }
    n++;
  }
  fclose(f);
  CHECK(n == n_expected);

  SR_TEST_END();
}
