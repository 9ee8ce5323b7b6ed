// The C++ admin calls of Client under upstream's names and return types, against a live store (standalone and
// 3-shard cluster), every node of SSDB: get_db_node_info (parsed_reply_nested_map), get_db_cluster_info and
// get_ai_info (parsed_reply_map), config_get (unordered_map), config_set, save, flush_db, and their exceptions.
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "client.h"
#include "srexception.h"
#include "sr_test.hpp"

using namespace SmartRedis;

int main()
{
    const char* ssdb = std::getenv("SSDB");
    const char* type = std::getenv("SR_DB_TYPE");
    if (ssdb == nullptr) {
        std::cerr << "SSDB is not set\n";
        return 1;
    }
    const bool cluster = type != nullptr && std::strcmp(type, "Clustered") == 0;
    std::vector<std::string> addresses;
    std::stringstream list(ssdb);
    for (std::string a; std::getline(list, a, ',');)
        addresses.push_back(a.rfind("tcp://", 0) == 0 ? a.substr(6) : a);

    Client client("client_test_admin");
    for (const std::string& address : addresses) {
        parsed_reply_nested_map info = client.get_db_node_info(address);
        CHECK(info.count("Server") == 1 && info["Server"].count("redis_version") == 1);
        CHECK(info.count("Keyspace") == 1);

        if (cluster) {
            parsed_reply_map cinfo = client.get_db_cluster_info(address);
            CHECK(cinfo["cluster_state"] == "ok");
            CHECK(cinfo["cluster_known_nodes"] == "3");
        } else {
            bool threw = false;
            try {
                (void)client.get_db_cluster_info(address);
            } catch (const RuntimeException& e) {
                threw = std::strstr(e.what(), "non-cluster") != nullptr;
            }
            CHECK(threw);
        }

        client.config_set("maxmemory-policy", "allkeys-lru", address);
        std::unordered_map<std::string, std::string> got = client.config_get("maxmemory-policy", address);
        CHECK(got.size() == 1 && got["maxmemory-policy"] == "allkeys-lru");
        CHECK(client.config_get("no-such-parameter", address).empty());
        bool threw = false;
        try {
            client.config_set("no-such-parameter", "1", address);
        } catch (const RuntimeException& e) {
            threw = std::strstr(e.what(), "no-such-parameter") != nullptr;
        }
        CHECK(threw);
        client.save(address);

        threw = false;
        try {
            (void)client.get_ai_info(address, "no_model", false);
        } catch (const RuntimeException& e) {
            threw = std::strstr(e.what(), "cannot find run info") != nullptr;
        }
        CHECK(threw);
    }

    // FLUSHDB on every node empties the store.
    const std::vector<size_t> dims = {1};
    unsigned char byte = 3;
    for (int i = 0; i < 10; i++)
        client.put_tensor("t" + std::to_string(i), &byte, dims, SRTensorTypeUint8, SRMemLayoutContiguous);
    for (const std::string& address : addresses)
        client.flush_db(address);
    for (int i = 0; i < 10; i++)
        CHECK(!client.tensor_exists("t" + std::to_string(i)));

    for (const char* bad : {"", ":00", "127.0.0.1", "127.0.0.1:", "127.0.0.1:1"}) {
        bool threw = false;
        try {
            client.flush_db(bad);
        } catch (const RuntimeException&) {
            threw = true;
        }
        CHECK(threw);
        threw = false;
        try {
            (void)client.get_db_node_info(bad);
        } catch (const RuntimeException&) {
            threw = true;
        }
        CHECK(threw);
    }
    return sr_test_result("client_test_admin");
}
