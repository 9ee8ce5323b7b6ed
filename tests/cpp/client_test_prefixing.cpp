// Ensemble key prefixes through the C++ Client: SSKEYOUT prefixes writes, SSKEYIN (chosen with set_data_source)
// prefixes reads, use_tensor_ensemble_prefix(false) turns both off, and key_exists never prefixes.
// Needs a server (SSDB).
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "client.h"
#include "sr_test.hpp"

using namespace SmartRedis;

int main()
{
    setenv("SSKEYOUT", "cpp_producer", 1);
    setenv("SSKEYIN", "cpp_producer,cpp_other", 1);
    try {
        Client client("client_test_prefixing");
        std::vector<float> v{1, 2, 3}, out(3);
        client.put_tensor("t", v.data(), {3}, SRTensorTypeFloat, SRMemLayoutContiguous);
        CHECK(client.key_exists("cpp_producer.t"));
        CHECK(!client.key_exists("t"));
        CHECK(client.tensor_exists("t")); // read prefix = first SSKEYIN entry
        client.unpack_tensor("t", out.data(), {3}, SRTensorTypeFloat, SRMemLayoutContiguous);
        CHECK(out == v);

        client.set_data_source("cpp_other");
        CHECK(!client.tensor_exists("t"));
        client.set_data_source("cpp_producer");
        CHECK(client.poll_tensor("t", 10, 3));

        client.use_tensor_ensemble_prefix(false);
        client.put_tensor("u", v.data(), {3}, SRTensorTypeFloat, SRMemLayoutContiguous);
        CHECK(client.key_exists("u"));
        CHECK(!client.key_exists("cpp_producer.u"));
        CHECK(!client.tensor_exists("t"));

        // The other prefix switches are accepted (their objects come with later issues).
        client.use_dataset_ensemble_prefix(true);
        client.use_model_ensemble_prefix(true);
        client.use_list_ensemble_prefix(false);

        bool thrown = false;
        try {
            client.set_data_source("not_in_sskeyin");
        }
        catch (const Exception&) {
            thrown = true;
        }
        CHECK(thrown);
    }
    catch (const Exception& e) {
        std::cerr << "unexpected " << e.exception_class() << ": " << e.what() << "\n";
        return 1;
    }
    return sr_test_result("client_test_prefixing");
}
