// TF models through the C++ Client against a live store (standalone and cluster): set_model with backend "TF" and
// graph input/output names, set_model_from_file, run_model, every output compared with TensorFlow's own outputs for
// the same inputs, and an unknown input name's exception text.
// argv[1]: tests/data/tf (frozen graphs and float32 data written by scripts/models/make_tf_models.py).
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "client.h"
#include "sr_test.hpp"

namespace {

std::string dir;

std::string read(const std::string& name)
{
    std::ifstream file(dir + "/" + name, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

std::vector<float> read_f32(const std::string& name)
{
    std::string bytes = read(name);
    std::vector<float> v(bytes.size() / sizeof(float));
    std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
    return v;
}

void put(SmartRedis::Client& client, const std::string& key, const std::string& file, const std::vector<size_t>& dims)
{
    std::vector<float> v = read_f32(file);
    client.put_tensor(key, v.data(), dims, SRTensorTypeFloat, SRMemLayoutContiguous);
}

void check_output(SmartRedis::Client& client, const std::string& key, const std::string& file,
                  const std::vector<size_t>& dims)
{
    std::vector<float> want = read_f32(file);
    std::vector<float> got(want.size(), 0.0f);
    client.unpack_tensor(key, got.data(), dims, SRTensorTypeFloat, SRMemLayoutContiguous);
    CHECK(!want.empty());
    for (size_t i = 0; i < want.size(); i++) CHECK(std::fabs(got[i] - want[i]) <= 1e-5f * (1.0f + std::fabs(want[i])));
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " <tests/data/tf>\n";
        return 1;
    }
    dir = argv[1];
    SmartRedis::Client client("client_test_tf_models");
    std::string lin = read("linear.pb");
    CHECK(!lin.empty());
    client.set_model("cpp_tf_lin", lin, "TF", "CPU", 0, 0, 0, "", {"x", "b"}, {"y", "scaled"});
    CHECK(client.get_model("cpp_tf_lin") == lin);
    put(client, "cpp_tf_x", "linear_x.f32", {4, 3});
    put(client, "cpp_tf_b", "linear_b.f32", {4, 2});
    client.run_model("cpp_tf_lin", {"cpp_tf_x", "cpp_tf_b"}, {"cpp_tf_y", "cpp_tf_s"});
    check_output(client, "cpp_tf_y", "linear_y.f32", {4, 2});
    check_output(client, "cpp_tf_s", "linear_scaled.f32", {4, 2});

    client.set_model_from_file("cpp_tf_cnn", dir + "/cnn.pb", "TF", "CPU", 8, 0, 0, "cnn", {"input"}, {"output"});
    put(client, "cpp_tf_img", "cnn_input.f32", {4, 28, 28, 1});
    client.run_model("cpp_tf_cnn", {"cpp_tf_img"}, {"cpp_tf_out"});
    check_output(client, "cpp_tf_out", "cnn_output.f32", {4, 10});

    expect_throw<SmartRedis::RuntimeException>(
        [&] { client.set_model("cpp_tf_bad", lin, "TF", "CPU", 0, 0, 0, "", {"nope"}, {"y"}); },
        "Input node named \"nope\" not found in TF graph.");

    client.delete_model("cpp_tf_lin");
    client.delete_model("cpp_tf_cnn");
    return sr_test_result("client_test_tf_models");
}
