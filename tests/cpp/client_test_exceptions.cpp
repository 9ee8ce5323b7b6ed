// The exception hierarchy of srexception.h: every SRError code maps to its class (caught by type), carries the
// C library's last-error text and location, and the SR*Exception macros record file and line. Needs no server.
#include <iostream>
#include <string>

#include "configoptions.h"
#include "srexception.h"
#include "sr_test.hpp"

using namespace SmartRedis;

namespace {

/// internal::throw_error(code) must throw exactly E, named `name`, with the last error's text.
template <typename E> void check_code(SRError code, const std::string& name)
{
    try {
        internal::throw_error(code);
    }
    catch (const E& e) {
        CHECK(e.to_error_code() == code);
        CHECK(e.exception_class() == name);
        CHECK(std::string(e.what()) == SRGetLastError());
        CHECK(std::string(e.where()) == SRGetLastErrorLocation());
        return;
    }
    catch (...) {
    }
    std::cerr << name << " not thrown for code " << code << "\n";
    ++failures;
}

} // namespace

int main()
{
    // Give the C library a real last error first, so the text is not the initial "no error".
    try {
        ConfigOptions::create_from_environment("")->get_integer_option("SR_EXCEPTION_TEST_UNSET_VARIABLE");
    }
    catch (const KeyException& e) {
        CHECK(std::string(e.what()).find("SR_EXCEPTION_TEST_UNSET_VARIABLE") != std::string::npos);
    }

    check_code<BadAllocException>(SRBadAllocError, "BadAllocException");
    check_code<DatabaseException>(SRDatabaseError, "DatabaseException");
    check_code<InternalException>(SRInternalError, "InternalException");
    check_code<RuntimeException>(SRRuntimeError, "RuntimeException");
    check_code<ParameterException>(SRParameterError, "ParameterException");
    check_code<TimeoutException>(SRTimeoutError, "TimeoutException");
    check_code<KeyException>(SRKeyError, "KeyException");
    check_code<TypeException>(SRTypeError, "TypeException");
    check_code<Exception>(SRInvalidError, "Exception");
    internal::check(SRNoError); // no throw

    // Every class is a SmartRedis::Exception and a std::exception.
    try {
        throw SRKeyException("missing key");
    }
    catch (const std::exception& e) {
        const Exception* sr = dynamic_cast<const Exception*>(&e);
        CHECK(sr != nullptr);
        CHECK(std::string(e.what()) == "missing key");
        CHECK(sr != nullptr && std::string(sr->where()).find("client_test_exceptions.cpp") != std::string::npos);
        CHECK(sr != nullptr && sr->to_error_code() == SRKeyError);
    }

    return sr_test_result("client_test_exceptions");
}
