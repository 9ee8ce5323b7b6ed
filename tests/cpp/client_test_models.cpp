// Models through the C++ Client against a live store (standalone, unix and cluster): set_model from memory and
// from a file, get_model, model_exists, poll_model, run_model checked against y = x.w + b computed here, chunk
// size, delete, and exceptions carrying the server's text.
// argv[1]: tests/data/linear_6x4.onnx (w[i][j] = 0.1 (i+1) - 0.05 j, b[j] = 0.5 j).
#include <iostream>
#include <string>

#include "client.h"
#include "linear_6x4.hpp"
#include "sr_test.hpp"

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " <linear_6x4.onnx>\n";
        return 1;
    }
    std::string model = read_model(argv[1]);

    SmartRedis::Client client("client_test_models");
    CHECK(!client.model_exists("cpp_lin"));
    client.set_model("cpp_lin", model, "ONNX", "CPU");
    CHECK(client.model_exists("cpp_lin"));
    CHECK(client.poll_model("cpp_lin", 10, 3));
    CHECK(client.get_model("cpp_lin") == model);
    run_and_check(client, "cpp_lin", "cpp_x", "cpp_y");

    client.set_model_from_file("cpp_file", argv[1], "ONNX", "CPU", 4, 2, 10, "tagged");
    run_and_check(client, "cpp_file", "cpp_x2", "cpp_y2");

    client.set_model_chunk_size(100);
    client.set_model("cpp_chunked", model, "ONNX", "CPU");
    CHECK(client.get_model("cpp_chunked") == model);
    run_and_check(client, "cpp_chunked", "cpp_x3", "cpp_y3");

    expect_throw<SmartRedis::RuntimeException>(
        [&] { client.run_model("cpp_lin", {"cpp_missing"}, {"cpp_out"}); }, "tensor key is empty");
    expect_throw<SmartRedis::RuntimeException>(
        [&] { client.set_model("cpp_bad", std::string("not a model"), "ONNX", "CPU"); },
        "Redis error when executing command");
    expect_throw<SmartRedis::RuntimeException>([&] { client.set_model("cpp_bad", model, "NOSUCH", "CPU"); },
                                               "unsupported backend");
    expect_throw<SmartRedis::ParameterException>(
        [&] { client.set_model("cpp_bad", model, "ONNX", "CPU", 0, 0, 0, "", {"x"}); }, "only valid for TF");
    expect_throw<SmartRedis::ParameterException>(
        [&] { client.set_model_multigpu("cpp_mg", model, "ONNX", 0, 0); }, "num_gpus");
    expect_throw<SmartRedis::ParameterException>([&] { client.set_model_chunk_size(-5); }, "chunk_size");

    client.delete_model("cpp_lin");
    client.delete_model("cpp_file");
    client.delete_model("cpp_chunked");
    CHECK(!client.poll_model("cpp_lin", 1, 2));
    return sr_test_result("client_test_models");
}
