// Consumer test (C++): stores and reads back a small tensor through SmartRedis::Client.
#include <iostream>
#include <vector>

#include "client.h"

int main()
{
    try {
        auto cfg = SmartRedis::ConfigOptions::create_from_environment("");
        SmartRedis::Client client(cfg.get(), "consumer_cpp");
        std::vector<int32_t> send{1, 2, 3, 4, 5, 6}, recv(6);
        client.put_tensor("consumer_cpp", send.data(), {2, 3}, SRTensorTypeInt32, SRMemLayoutContiguous);
        client.unpack_tensor("consumer_cpp", recv.data(), {6}, SRTensorTypeInt32, SRMemLayoutContiguous);
        return send == recv ? 0 : 1;
    }
    catch (const SmartRedis::Exception& e) {
        std::cerr << "consumer_cpp failed: " << e.what() << "\n";
        return 1;
    }
}
