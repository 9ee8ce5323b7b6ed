// The SmartRedis flow through the C++ Client (script -> model -> script -> unpack) against a live store in
// standalone, unix and cluster modes, checked against z = (2x).w + b + 1 computed here.
// argv[1]: tests/data/linear_6x4.onnx; argv[2]: tests/data/data_processing_script.txt.
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "client.h"
#include "sr_test.hpp"

int main(int argc, char** argv)
{
    if (argc < 3) {
        std::cerr << "usage: " << argv[0] << " <linear_6x4.onnx> <data_processing_script.txt>\n";
        return 1;
    }
    constexpr size_t K = 6, M = 4, ROWS = 4;
    std::ifstream file(argv[2]);
    std::string source((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());

    SmartRedis::Client client("client_test_script_flow");
    client.set_model_from_file("cpp_flow_model", argv[1], "ONNX", "CPU");
    client.set_script("cpp_flow_script", "CPU", source);
    CHECK(client.get_script("cpp_flow_script") == source);
    CHECK(client.model_exists("cpp_flow_script"));

    std::vector<float> x(ROWS * K), z(ROWS * M, 0.0f);
    for (size_t n = 0; n < x.size(); n++) x[n] = 0.01f * static_cast<float>(n) - 0.2f;
    client.put_tensor("cpp_flow_x", x.data(), {ROWS, K}, SRTensorTypeFloat, SRMemLayoutContiguous);
    client.run_script("cpp_flow_script", "pre_process", {"cpp_flow_x"}, {"cpp_flow_x2"});
    client.run_model("cpp_flow_model", {"cpp_flow_x2"}, {"cpp_flow_y"});
    client.run_script("cpp_flow_script", "post_process", {"cpp_flow_y"}, {"cpp_flow_z"});
    client.unpack_tensor("cpp_flow_z", z.data(), {ROWS, M}, SRTensorTypeFloat, SRMemLayoutContiguous);
    for (size_t r = 0; r < ROWS; r++)
        for (size_t j = 0; j < M; j++) {
            float want = 1.0f + 0.5f * static_cast<float>(j);
            for (size_t i = 0; i < K; i++)
                want += 2.0f * x[r * K + i] * (0.1f * static_cast<float>(i + 1) - 0.05f * static_cast<float>(j));
            CHECK(std::fabs(z[r * M + j] - want) <= 1e-4f);
        }

    try {
        client.run_script("cpp_flow_script", "nope", {"cpp_flow_x"}, {"cpp_flow_q"});
        CHECK(false);
    }
    catch (const SmartRedis::RuntimeException& e) {
        CHECK(std::string(e.what()).find("Redis error when executing command") != std::string::npos);
    }
    client.delete_script("cpp_flow_script");
    client.delete_model("cpp_flow_model");
    CHECK(!client.model_exists("cpp_flow_script"));
    return sr_test_result("client_test_script_flow");
}
