// The SmartRedis MNIST flow through the C++ Client (script pre_process -> CNN -> script post_process -> unpack)
// against a live store in standalone, unix and cluster modes, with the log-probabilities and labels checked against
// the results of the same model run directly in libtorch (written by tests/scripts.rs).
// argv[1]: tests/data/mnist_cnn.pt; argv[2]: tests/data/mnist_script.txt; argv[3]: tests/data/mnist_expected.txt.
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "client.h"
#include "sr_test.hpp"

int main(int argc, char** argv)
{
    if (argc < 4) {
        std::cerr << "usage: " << argv[0] << " <mnist_cnn.pt> <mnist_script.txt> <mnist_expected.txt>\n";
        return 1;
    }
    constexpr size_t IMAGES = 2, CLASSES = 10;
    std::ifstream file(argv[2]);
    std::string source((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    std::vector<float> want(IMAGES * CLASSES);
    std::vector<int64_t> want_labels(IMAGES);
    std::ifstream expected(argv[3]);
    std::string comment;
    std::getline(expected, comment);
    for (float& v : want) expected >> v;
    for (int64_t& l : want_labels) expected >> l;
    if (!expected || comment.empty() || comment[0] != '#') {
        std::cerr << "cannot read " << argv[3] << "\n";
        return 1;
    }

    SmartRedis::Client client("client_test_script_flow");
    client.set_model_from_file("cpp_mnist_cnn", argv[1], "TORCH", "CPU");
    client.set_script("cpp_flow_script", "CPU", source);
    CHECK(client.get_script("cpp_flow_script") == source);
    CHECK(client.model_exists("cpp_flow_script"));

    // Pixel i of image n, as tests/scripts.rs (mnist_pixel) computes it.
    std::vector<float> raw(IMAGES * 784);
    for (size_t n = 0; n < IMAGES; n++)
        for (size_t i = 0; i < 784; i++) raw[n * 784 + i] = static_cast<float>((i * 37 + n * 101) % 256);
    client.put_tensor("cpp_flow_raw", raw.data(), {IMAGES, 1, 28, 28}, SRTensorTypeFloat, SRMemLayoutContiguous);
    client.run_script("cpp_flow_script", "pre_process", {"cpp_flow_raw"}, {"cpp_flow_x"});
    client.run_model("cpp_mnist_cnn", {"cpp_flow_x"}, {"cpp_flow_out"});
    client.run_script("cpp_flow_script", "post_process", {"cpp_flow_out"}, {"cpp_flow_label"});
    std::vector<float> out(IMAGES * CLASSES, 0.0f);
    std::vector<int64_t> labels(IMAGES, -1);
    client.unpack_tensor("cpp_flow_out", out.data(), {IMAGES, CLASSES}, SRTensorTypeFloat, SRMemLayoutContiguous);
    client.unpack_tensor("cpp_flow_label", labels.data(), {IMAGES}, SRTensorTypeInt64, SRMemLayoutContiguous);
    for (size_t k = 0; k < out.size(); k++) CHECK(std::fabs(out[k] - want[k]) <= 1e-4f * (1.0f + std::fabs(want[k])));
    CHECK(labels == want_labels);

    expect_throw<SmartRedis::RuntimeException>(
        [&] { client.run_script("cpp_flow_script", "nope", {"cpp_flow_raw"}, {"cpp_flow_q"}); },
        "Redis error when executing command");
    client.delete_script("cpp_flow_script");
    client.delete_model("cpp_mnist_cnn");
    CHECK(!client.model_exists("cpp_flow_script"));
    return sr_test_result("client_test_script_flow");
}
