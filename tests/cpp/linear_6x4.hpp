// Shared by the C++ model tests: runs a stored linear_6x4 model (tests/data/linear_6x4.onnx:
// w[i][j] = 0.1 (i+1) - 0.05 j, b[j] = 0.5 j) and checks y = x.w + b computed here; reads a model file.
#ifndef LINEAR_6X4_HPP
#define LINEAR_6X4_HPP

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "client.h"
#include "sr_test.hpp"

/// The bytes of the file `path` (a failed check when it is empty or missing).
inline std::string read_model(const std::string& path)
{
    std::ifstream file(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    CHECK(!bytes.empty());
    return bytes;
}

/// Runs the linear_6x4 model `model` on 5 rows put as `in`, fetches `out` and checks every element.
inline void run_and_check(SmartRedis::Client& client, const std::string& model, const std::string& in,
                          const std::string& out)
{
    constexpr size_t K = 6, M = 4, ROWS = 5;
    std::vector<float> x(ROWS * K), y(ROWS * M, 0.0f);
    for (size_t n = 0; n < x.size(); n++) x[n] = 0.01f * static_cast<float>(n) - 0.2f;
    client.put_tensor(in, x.data(), {ROWS, K}, SRTensorTypeFloat, SRMemLayoutContiguous);
    client.run_model(model, {in}, {out});
    client.unpack_tensor(out, y.data(), {ROWS, M}, SRTensorTypeFloat, SRMemLayoutContiguous);
    for (size_t r = 0; r < ROWS; r++)
        for (size_t j = 0; j < M; j++) {
            float want = 0.5f * static_cast<float>(j);
            for (size_t i = 0; i < K; i++)
                want += x[r * K + i] * (0.1f * static_cast<float>(i + 1) - 0.05f * static_cast<float>(j));
            CHECK(std::fabs(y[r * M + j] - want) <= 1e-4f);
        }
}

#endif // LINEAR_6X4_HPP
