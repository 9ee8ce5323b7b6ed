// TFLITE models through the C++ Client against a live store (standalone, unix and cluster): set_model and
// set_model_from_file with "TFLITE", get_model, run_model checked against y = x.w + b computed here, and the
// server's text for a bad flatbuffer.
// argv[1]: tests/data/linear_6x4.tflite (w[i][j] = 0.1 (i+1) - 0.05 j, b[j] = 0.5 j; made by
// scripts/models/make_tflite_models.py).
#include <iostream>
#include <string>

#include "client.h"
#include "linear_6x4.hpp"
#include "sr_test.hpp"

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " <linear_6x4.tflite>\n";
        return 1;
    }
    std::string model = read_model(argv[1]);

    SmartRedis::Client client("client_test_tflite");
    client.set_model("cpp_tlin", model, "TFLITE", "CPU");
    CHECK(client.model_exists("cpp_tlin"));
    CHECK(client.get_model("cpp_tlin") == model);
    run_and_check(client, "cpp_tlin", "cpp_tx", "cpp_ty");

    client.set_model_from_file("cpp_tfile", argv[1], "TFLITE", "CPU", 0, 0, 0, "tagged");
    run_and_check(client, "cpp_tfile", "cpp_tx2", "cpp_ty2");

    expect_throw<SmartRedis::RuntimeException>(
        [&] { client.set_model("cpp_tbad", std::string("not a model"), "TFLITE", "CPU"); },
        "Failed to load model from buffer");

    client.delete_model("cpp_tlin");
    client.delete_model("cpp_tfile");
    CHECK(!client.model_exists("cpp_tlin"));
    return sr_test_result("client_test_tflite");
}
