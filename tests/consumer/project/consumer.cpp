// Consumer test (C++), built against an installed prefix only.
//   consumer_cpp                     a client from the environment stores and reads back a small tensor;
//   consumer_cpp orchestrator DIR    the orchestrator starts a 3-shard store in DIR, a client from it stores and
//                                    reads back the tensor, and the store is stopped.
#include <iostream>
#include <string>
#include <vector>

#include "client.h"
#include "orchestrator.h"

static bool round_trip(SmartRedis::Client& client)
{
    std::vector<int32_t> send{1, 2, 3, 4, 5, 6}, recv(6);
    client.put_tensor("consumer_cpp", send.data(), {2, 3}, SRTensorTypeInt32, SRMemLayoutContiguous);
    client.unpack_tensor("consumer_cpp", recv.data(), {6}, SRTensorTypeInt32, SRMemLayoutContiguous);
    return send == recv;
}

int main(int argc, char** argv)
{
    try {
        if (argc == 3 && std::string(argv[1]) == "orchestrator") {
            SmartRedis::OrchestratorOptions opts;
            opts.set_shards(3).set_dir(argv[2]);
            SmartRedis::Orchestrator orc(opts);
            orc.start();
            bool ok = orc.db_type() == SRDbClustered;
            {
                SmartRedis::Client client = orc.create_client("consumer_cpp");
                ok = round_trip(client) && ok;
            }
            orc.stop();
            return ok ? 0 : 1;
        }
        auto cfg = SmartRedis::ConfigOptions::create_from_environment("");
        SmartRedis::Client client(cfg.get(), "consumer_cpp");
        return round_trip(client) ? 0 : 1;
    }
    catch (const SmartRedis::Exception& e) {
        std::cerr << "consumer_cpp failed: " << e.what() << "\n";
        return 1;
    }
}
