// Shared by the C++ test programs: one failure counter and CHECK, which records a failed condition and goes on,
// so a test reports every failed check before it exits non-zero.
#ifndef SR_TEST_HPP
#define SR_TEST_HPP

#include <iostream>

/// Number of failed checks so far in this program.
inline int failures = 0;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            std::cerr << __FILE__ << ":" << __LINE__ << ": check failed: " #cond << "\n";   \
            ++failures;                                                                      \
        }                                                                                    \
    } while (0)

#endif // SR_TEST_HPP
