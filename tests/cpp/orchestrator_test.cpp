// The C++ orchestrator wrapper: starts a store of N shards in DIR, puts and gets a tensor through the client it
// creates, checks address, type, TLS CA (none), status and CONFIG SET, stops it, and checks that errors become exceptions.
// Usage: cpp_orchestrator <shards> <working dir>. The module is found next to libsmartredis.so.
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "orchestrator.h"
#include "sr_test.hpp"

using namespace SmartRedis;

namespace {

/// Whether `f()` throws an exception of type E.
template <typename E, typename F> bool throws(F&& f)
{
    try {
        f();
    } catch (const E&) {
        return true;
    } catch (...) {
        return false;
    }
    return false;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 3) {
        std::cerr << "usage: " << argv[0] << " SHARDS DIR\n";
        return 2;
    }
    const size_t shards = std::strtoul(argv[1], nullptr, 10);
    OrchestratorOptions opts;
    opts.set_shards(shards).set_dir(argv[2]).set_module_threads(1).set_maxclients(5000).set_maxmemory("1gb");
    opts.set_eviction_policy("noeviction").set_proto_max_bulk_len("2560mb").set_timeouts(60000, 0);
    opts.add_server_arg("--loglevel").add_server_arg("notice").set_partial_coverage(true);
    Orchestrator orc(opts);
    CHECK(!orc.is_active());
    orc.start();
    CHECK(orc.is_active());
    const std::string address = orc.address();
    std::cout << "SSDB=" << address << "\n";
    size_t commas = 0;
    for (char c : address)
        commas += c == ',' ? 1 : 0;
    CHECK(commas + 1 == shards);
    CHECK(orc.db_type() == (shards > 1 ? SRDbClustered : SRDbStandalone));
    CHECK(orc.tls_ca_file().empty()); // a store without TLS
    const std::vector<SRShardState> states = orc.status();
    CHECK(states.size() == shards);
    for (SRShardState s : states)
        CHECK(s == SRShardRunning);
    orc.config_set("maxclients", "2000");
    CHECK(throws<DatabaseException>([&] { orc.config_set("no-such-name", "1"); }));

    {
        Client client = orc.create_client("orc-cpp");
        const std::vector<double> data{1, 2, 3, 4, 5, 6};
        client.put_tensor("orc_tensor", data.data(), {2, 3}, SRTensorTypeDouble, SRMemLayoutContiguous);
        CHECK(client.tensor_exists("orc_tensor"));
        std::vector<double> back(6, 0.0);
        client.unpack_tensor("orc_tensor", back.data(), {2, 3}, SRTensorTypeDouble, SRMemLayoutContiguous);
        CHECK(back == data);
        Client moved = std::move(client);
        CHECK(moved.tensor_exists("orc_tensor"));
        // Partial slot coverage: live shards keep serving while one is down.
        const std::string first = address.substr(0, address.find(','));
        if (shards > 1)
            CHECK(moved.config_get("cluster-require-full-coverage", first).at("cluster-require-full-coverage") ==
                  "no");
    }

    // Moving the orchestrator keeps the store; stop() through the new owner ends it.
    Orchestrator owner = std::move(orc);
    CHECK(owner.is_active());
    owner.stop();
    CHECK(!owner.is_active());
    for (SRShardState s : owner.status())
        CHECK(s != SRShardRunning);

    // Errors become exceptions.
    OrchestratorOptions bad;
    bad.set_shards(0);
    CHECK(throws<ParameterException>([&] { Orchestrator rejected(bad); }));
    bad.set_shards(3).set_unix_socket("redis.sock");
    CHECK(throws<ParameterException>([&] { Orchestrator rejected(bad); }));
    CHECK(throws<ParameterException>([] { Client::_adopt_c_handle(nullptr); }));
    CHECK(throws<Exception>([&] { Orchestrator::attach(std::string(argv[2]) + "/no-such-store"); }));

    const std::string name = "cpp orchestrator (" + std::to_string(shards) + " shard(s))";
    return sr_test_result(name.c_str());
}
