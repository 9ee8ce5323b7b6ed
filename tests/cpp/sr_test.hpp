// Shared by the C++ test programs: one failure counter and CHECK, which records a failed condition and goes on,
// so a test reports every failed check before it exits non-zero.
#ifndef SR_TEST_HPP
#define SR_TEST_HPP

#include <iostream>
#include <string>

/// Number of failed checks so far in this program.
inline int failures = 0;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            std::cerr << __FILE__ << ":" << __LINE__ << ": check failed: " #cond << "\n";   \
            ++failures;                                                                      \
        }                                                                                    \
    } while (0)

/// Runs `f`, which must throw an E whose text contains `text`; counts a failure otherwise.
template <typename E, typename F> void expect_throw(F f, const std::string& text)
{
    try {
        f();
        std::cerr << "no exception; expected one containing: " << text << "\n";
        ++failures;
    }
    catch (const E& e) {
        CHECK(std::string(e.what()).find(text) != std::string::npos);
    }
}

/// The program's exit status: reports the failed checks (1), or prints "<name>: OK" (0).
inline int sr_test_result(const char* name)
{
    if (failures != 0) {
        std::cerr << failures << " check(s) failed\n";
        return 1;
    }
    std::cout << name << ": OK\n";
    return 0;
}

#endif // SR_TEST_HPP
