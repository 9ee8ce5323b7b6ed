/* c_configoptions.h: every function, suffixes, caching, errors and bad arguments. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "c_configoptions.h"
#include "c_logcontext.h"
#include "sr_test.h"

#define S(lit) lit, strlen(lit)

int main(void)
{
  void* cfg = NULL;
  void* plain = NULL;
  int64_t ival = 0;
  char* sval = NULL;
  size_t slen = 0;
  bool flag = true;

  setenv("SRT_INT_db1", "42", 1);
  setenv("SRT_STR_db1", "hello", 1);
  setenv("SRT_INT", "7", 1);
  setenv("SRT_BAD_db1", "12x", 1);
  setenv("SRT_NEG_db1", "-5", 1);
  setenv("SRT_EMPTY_db1", "", 1);

  /* Suffixed: option X reads X_db1. */
  CHECK_OK(create_configoptions_from_environment(S("db1"), &cfg));
  CHECK(cfg != NULL);
  CHECK_OK(get_integer_option(cfg, S("SRT_INT"), &ival));
  CHECK(ival == 42);
  CHECK_OK(get_integer_option(cfg, S("SRT_NEG"), &ival));
  CHECK(ival == -5);
  CHECK_OK(get_string_option(cfg, S("SRT_STR"), &sval, &slen));
  CHECK(slen == 5 && sval != NULL && memcmp(sval, "hello", 5) == 0);
  CHECK(sval != NULL && sval[slen] == '\0'); /* NUL-terminated, unlike upstream */
  char* first = sval;

  /* Cached: a later environment change is not seen. */
  setenv("SRT_STR_db1", "changed", 1);
  CHECK_OK(get_string_option(cfg, S("SRT_STR"), &sval, &slen));
  CHECK(slen == 5 && memcmp(sval, "hello", 5) == 0);

  /* Overrides replace the cache; earlier buffers stay valid until the ConfigOptions is freed. */
  CHECK_OK(override_string_option(cfg, S("SRT_STR"), S("world")));
  CHECK_OK(get_string_option(cfg, S("SRT_STR"), &sval, &slen));
  CHECK(slen == 5 && memcmp(sval, "world", 5) == 0);
  CHECK(strcmp(first, "hello") == 0);
  CHECK_OK(override_string_option(cfg, S("SRT_STR"), "", 0));
  CHECK_OK(get_string_option(cfg, S("SRT_STR"), &sval, &slen));
  CHECK(slen == 0 && sval[0] == '\0');
  CHECK_OK(override_integer_option(cfg, S("SRT_INT"), -9000000000LL));
  CHECK_OK(get_integer_option(cfg, S("SRT_INT"), &ival));
  CHECK(ival == -9000000000LL);

  /* is_configured: cached, overridden, or present in the environment (even empty). */
  CHECK_OK(is_configured(cfg, S("SRT_INT"), &flag));
  CHECK(flag);
  CHECK_OK(is_configured(cfg, S("SRT_EMPTY"), &flag));
  CHECK(flag);
  CHECK_OK(is_configured(cfg, S("SRT_NOPE"), &flag));
  CHECK(!flag);
  CHECK_OK(override_integer_option(cfg, S("SRT_NOPE"), 1));
  CHECK_OK(is_configured(cfg, S("SRT_NOPE"), &flag));
  CHECK(flag);

  /* Missing, empty and malformed values. The output is not written on failure. */
  ival = 123;
  CHECK_ERR(get_integer_option(cfg, S("SRT_MISSING"), &ival), SRKeyError,
            "No value found for key SRT_MISSING_db1");
  CHECK(ival == 123);
  CHECK(strcmp(SRGetLastErrorLocation(), "get_integer_option") == 0);
  CHECK_ERR(get_string_option(cfg, S("SRT_EMPTY"), &sval, &slen), SRKeyError,
            "No value found for key SRT_EMPTY_db1");
  CHECK_ERR(get_integer_option(cfg, S("SRT_BAD"), &ival), SRParameterError,
            "The value of SRT_BAD_db1 must be a valid number.");

  /* Bad arguments name the argument. */
  CHECK_ERR(get_integer_option(NULL, S("SRT_INT"), &ival), SRParameterError, "c_cfgopts");
  CHECK_ERR(get_integer_option(cfg, NULL, 3, &ival), SRParameterError, "option_name");
  CHECK_ERR(get_integer_option(cfg, "SRT_INT", 0, &ival), SRParameterError,
            "option_name must not be empty");
  CHECK_ERR(get_integer_option(cfg, S("SRT_INT"), NULL), SRParameterError, "result");
  CHECK_ERR(get_string_option(cfg, S("SRT_STR"), NULL, &slen), SRParameterError, "result");
  CHECK_ERR(get_string_option(cfg, S("SRT_STR"), &sval, NULL), SRParameterError, "result_len");
  CHECK_ERR(get_string_option(cfg, "", 0, &sval, &slen), SRParameterError, "option_name");
  CHECK_ERR(is_configured(cfg, S("SRT_INT"), NULL), SRParameterError, "cfg_result");
  CHECK_ERR(is_configured(cfg, "", 0, &flag), SRParameterError, "option_name");
  CHECK_ERR(override_integer_option(cfg, "", 0, 1), SRParameterError, "option_name");
  CHECK_ERR(override_string_option(cfg, S("SRT_STR"), NULL, 0), SRParameterError, "value");
  CHECK_ERR(override_string_option(NULL, S("SRT_STR"), S("x")), SRParameterError, "c_cfgopts");
  CHECK_ERR(create_configoptions_from_environment(NULL, 0, &plain), SRParameterError, "db_suffix");
  CHECK_ERR(create_configoptions_from_environment(S("x"), NULL), SRParameterError,
            "new_configoptions");
  CHECK_ERR(get_integer_option(cfg, "\xff\xfe", 2, &ival), SRParameterError, "UTF-8");

  /* A handle of another kind is rejected, not misused. */
  void* ctx = NULL;
  CHECK_OK(SmartRedisCLogContext(S("ctx"), &ctx));
  CHECK_ERR(get_integer_option(ctx, S("SRT_INT"), &ival), SRParameterError,
            "not a valid ConfigOptions handle");
  CHECK_ERR(sr_configoptions_free(&ctx), SRParameterError, "not a valid ConfigOptions handle");
  CHECK_OK(DeallocateLogContext(&ctx));
  CHECK(ctx == NULL);

  /* No suffix: option X reads X. */
  CHECK_OK(create_configoptions_from_environment("", 0, &plain));
  CHECK_OK(get_integer_option(plain, S("SRT_INT"), &ival));
  CHECK(ival == 7);

  /* Destruction: sets the handle to NULL; freeing NULL again is a no-op; NULL void** is an error. */
  CHECK_OK(sr_configoptions_free(&cfg));
  CHECK(cfg == NULL);
  CHECK_OK(sr_configoptions_free(&cfg));
  CHECK_OK(sr_configoptions_free(&plain));
  CHECK_ERR(sr_configoptions_free(NULL), SRParameterError, "configoptions");

  SR_TEST_END();
}
