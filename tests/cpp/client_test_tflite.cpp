// TFLITE models through the C++ Client against a live store (standalone, unix and cluster): set_model and
// set_model_from_file with "TFLITE", get_model, run_model checked against y = x.w + b computed here, and the
// server's text for a bad flatbuffer.
// argv[1]: tests/data/linear_6x4.tflite (w[i][j] = 0.1 (i+1) - 0.05 j, b[j] = 0.5 j; made by
// scripts/models/make_tflite_models.py).
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "client.h"
#include "sr_test.hpp"

namespace {

constexpr size_t K = 6, M = 4, ROWS = 5;

void run_and_check(SmartRedis::Client& client, const std::string& model, const std::string& in,
                   const std::string& out)
{
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

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " <linear_6x4.tflite>\n";
        return 1;
    }
    std::ifstream file(argv[1], std::ios::binary);
    std::string model((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    CHECK(!model.empty());

    SmartRedis::Client client("client_test_tflite");
    client.set_model("cpp_tlin", model, "TFLITE", "CPU");
    CHECK(client.model_exists("cpp_tlin"));
    CHECK(client.get_model("cpp_tlin") == model);
    run_and_check(client, "cpp_tlin", "cpp_tx", "cpp_ty");

    client.set_model_from_file("cpp_tfile", argv[1], "TFLITE", "CPU", 0, 0, 0, "tagged");
    run_and_check(client, "cpp_tfile", "cpp_tx2", "cpp_ty2");

    try {
        client.set_model("cpp_tbad", std::string("not a model"), "TFLITE", "CPU");
        std::cerr << "no exception for a bad flatbuffer\n";
        ++failures;
    }
    catch (const SmartRedis::RuntimeException& e) {
        CHECK(std::string(e.what()).find("Failed to load model from buffer") != std::string::npos);
    }

    client.delete_model("cpp_tlin");
    client.delete_model("cpp_tfile");
    CHECK(!client.model_exists("cpp_tlin"));
    return sr_test_result("client_test_tflite");
}
