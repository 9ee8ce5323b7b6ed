// TFLITE models through the C++ Client against a live store (standalone, unix and cluster): set_model and
// set_model_from_file with "TFLITE" (no input or output names), get_model, run_model on the linear model, the
// MNIST-sized CNN and a two-input, two-output model (inputs and outputs in the model's signature order), every output
// compared with what LiteRT computed for the same inputs (tests/data/<model>.expected), and the server's text for a
// bad flatbuffer.
// argv[1]: tests/data (models and .expected files written by scripts/models/make_tflite_models.py).
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "client.h"
#include "sr_test.hpp"

namespace {

std::string dir;

std::string read(const std::string& name)
{
    std::ifstream file(dir + "/" + name, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    CHECK(!bytes.empty());
    return bytes;
}

/// One tensor of an .expected file.
struct Named {
    std::string name;
    std::vector<size_t> dims;
    std::vector<float> values;
};

/// The tensors of <dir>/<model>.expected, in order: pairs of lines `input|output <name> <dims...>` and the values.
/// The inputs given to LiteRT come first, then the outputs it computed.
void read_expected(const std::string& model, std::vector<Named>& inputs, std::vector<Named>& outputs)
{
    std::istringstream text(read(model + ".expected"));
    std::string header, values;
    while (std::getline(text, header) && std::getline(text, values)) {
        std::istringstream h(header), v(values);
        std::string kind;
        Named t;
        h >> kind >> t.name;
        for (size_t d; h >> d;) t.dims.push_back(d);
        for (float x; v >> x;) t.values.push_back(x);
        (kind == "input" ? inputs : outputs).push_back(t);
    }
    CHECK(!inputs.empty() && !outputs.empty());
}

/// Puts the inputs of <model>.expected under `<prefix><name>`, runs `key` and compares each output with LiteRT's.
void run_as_litert(SmartRedis::Client& client, const std::string& key, const std::string& model,
                   const std::string& prefix)
{
    std::vector<Named> inputs, outputs;
    read_expected(model, inputs, outputs);
    std::vector<std::string> in_keys, out_keys;
    for (Named& t : inputs) {
        in_keys.push_back(prefix + t.name);
        client.put_tensor(in_keys.back(), t.values.data(), t.dims, SRTensorTypeFloat, SRMemLayoutContiguous);
    }
    for (const Named& t : outputs) out_keys.push_back(prefix + t.name);
    client.run_model(key, in_keys, out_keys);
    for (size_t k = 0; k < outputs.size(); k++) {
        const Named& want = outputs[k];
        std::vector<float> got(want.values.size(), 0.0f);
        client.unpack_tensor(out_keys[k], got.data(), want.dims, SRTensorTypeFloat, SRMemLayoutContiguous);
        for (size_t i = 0; i < got.size(); i++)
            CHECK(std::fabs(got[i] - want.values[i]) <= 1e-5f * (1.0f + std::fabs(want.values[i])));
    }
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " <tests/data>\n";
        return 1;
    }
    dir = argv[1];
    std::string lin = read("linear_6x4.tflite");

    SmartRedis::Client client("client_test_tflite");
    client.set_model("cpp_tlin", lin, "TFLITE", "CPU");
    CHECK(client.model_exists("cpp_tlin"));
    CHECK(client.get_model("cpp_tlin") == lin);
    run_as_litert(client, "cpp_tlin", "linear_6x4", "cpp_tlin_");

    client.set_model_from_file("cpp_tcnn", dir + "/mnist_cnn.tflite", "TFLITE", "CPU", 0, 0, 0, "cnn");
    run_as_litert(client, "cpp_tcnn", "mnist_cnn", "cpp_tcnn_");

    // add_mul's signature takes b, then a, and gives add, then mul.
    client.set_model_from_file("cpp_tam", dir + "/add_mul.tflite", "TFLITE", "CPU");
    run_as_litert(client, "cpp_tam", "add_mul", "cpp_tam_");

    expect_throw<SmartRedis::RuntimeException>(
        [&] { client.set_model("cpp_tbad", std::string("not a model"), "TFLITE", "CPU"); },
        "Failed to load model from buffer");

    for (const char* key : {"cpp_tlin", "cpp_tcnn", "cpp_tam"}) {
        client.delete_model(key);
        CHECK(!client.model_exists(key));
    }
    return sr_test_result("client_test_tflite");
}
