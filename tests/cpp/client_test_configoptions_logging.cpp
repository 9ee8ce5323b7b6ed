// ConfigOptions, LogContext, the logging functions and the exception mapping through the C++ layer.
// Needs no server. Logs go to a file named by argv[1] (default: ./cpp_logging_test.log), which is checked.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "configoptions.h"
#include "logcontext.h"
#include "logger.h"
#include "srexception.h"
#include "sr_test.hpp"

using namespace SmartRedis;

namespace {

/// Runs `f`, which must throw exactly exception type E with code `code`.
template <typename E, typename F> void expect_throw(F f, SRError code)
{
    try {
        f();
        std::cerr << "no exception thrown\n";
        ++failures;
    }
    catch (const E& e) {
        CHECK(e.to_error_code() == code);
        CHECK(std::string(e.what()).size() > 0);
        CHECK(std::string(SRGetLastError()) == e.what());
    }
    catch (const Exception& e) {
        std::cerr << "wrong exception " << e.exception_class() << ": " << e.what() << "\n";
        ++failures;
    }
}

void check_config_options()
{
    setenv("CPP_TEST_INT", "42", 1);
    setenv("CPP_TEST_STR", "hello", 1);
    setenv("CPP_TEST_INT_suffixtest", "-7", 1);
    setenv("CPP_TEST_NOT_A_NUMBER", "12abc", 1);
    unsetenv("CPP_TEST_MISSING");

    std::unique_ptr<ConfigOptions> co = ConfigOptions::create_from_environment("");
    CHECK(co->get_integer_option("CPP_TEST_INT") == 42);
    CHECK(co->get_string_option("CPP_TEST_STR") == "hello");
    CHECK(co->is_configured("CPP_TEST_STR"));
    CHECK(!co->is_configured("CPP_TEST_MISSING"));
    expect_throw<KeyException>([&] { co->get_integer_option("CPP_TEST_MISSING"); }, SRKeyError);
    expect_throw<KeyException>([&] { co->get_string_option("CPP_TEST_MISSING"); }, SRKeyError);
    expect_throw<ParameterException>([&] { co->get_integer_option(""); }, SRParameterError);
    expect_throw<ParameterException>([&] { co->get_integer_option("CPP_TEST_NOT_A_NUMBER"); }, SRParameterError);

    co->override_integer_option("CPP_TEST_MISSING", 5);
    CHECK(co->get_integer_option("CPP_TEST_MISSING") == 5);
    CHECK(co->is_configured("CPP_TEST_MISSING"));
    co->override_string_option("CPP_TEST_STR", "world");
    CHECK(co->get_string_option("CPP_TEST_STR") == "world");

    std::unique_ptr<ConfigOptions> suffixed = ConfigOptions::create_from_environment("suffixtest");
    CHECK(suffixed->get_integer_option("CPP_TEST_INT") == -7);
    CHECK(!suffixed->is_configured("CPP_TEST_STR"));
    std::unique_ptr<ConfigOptions> from_null = ConfigOptions::create_from_environment(static_cast<const char*>(nullptr));
    CHECK(from_null->get_integer_option("CPP_TEST_INT") == 42);

    ConfigOptions moved(std::move(*co)); // the moved-from object must not free the handle twice
    CHECK(moved.get_integer_option("CPP_TEST_INT") == 42);
}

void check_logging(const std::string& log_file)
{
    LogContext lc("cpp_logcontext");
    CHECK(lc.get_context() == "cpp_logcontext");
    lc.log_data(LLQuiet, "data via context");
    log_warning(&lc, LLQuiet, "warning via context");
    log_error("cpp_string_ctx", LLQuiet, "error via string");
    log_data("cpp_string_ctx", LLDeveloper, "developer message, filtered at the default level");
    Logger::get_instance().log_data("cpp_singleton", LLQuiet, "via the singleton");
    LogContext moved(std::move(lc));
    moved.log_data(LLQuiet, "after move");

    std::ifstream in(log_file);
    std::stringstream text;
    text << in.rdbuf();
    const std::string log = text.str();
    auto has = [&](const std::string& s) { return log.find(s) != std::string::npos; };
    CHECK(has("cpp_logcontext@"));
    CHECK(has(":data via context"));
    CHECK(has(":WARNING: warning via context"));
    CHECK(has("cpp_string_ctx@"));
    CHECK(has(":ERROR: error via string"));
    CHECK(!has("developer message"));
    CHECK(has("cpp_singleton@"));
    CHECK(has(":after move"));
    if (failures != 0)
        std::cerr << "log file contents:\n" << log;
}

} // namespace

int main(int argc, char** argv)
{
    const std::string log_file = argc > 1 ? argv[1] : "cpp_logging_test.log";
    std::remove(log_file.c_str());
    setenv("SR_LOG_FILE", log_file.c_str(), 1);
    setenv("SR_LOG_LEVEL", "INFO", 1);
    try {
        check_config_options();
        check_logging(log_file);
    }
    catch (const Exception& e) {
        std::cerr << "unexpected " << e.exception_class() << ": " << e.what() << " at " << e.where() << "\n";
        return 1;
    }
    return sr_test_result("client_test_configoptions_logging");
}
