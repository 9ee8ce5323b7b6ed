// Serial C++ example: store a 3-D tensor of doubles, fetch it with get_tensor (client-owned memory) and with
// unpack_tensor (the caller's buffer), and compare. Connection settings come from SSDB and SR_DB_TYPE.
#include <iostream>
#include <vector>

#include "client.h"

int main()
{
    const std::vector<size_t> dims = {3, 2, 5};
    std::vector<double> send(3 * 2 * 5);
    for (size_t i = 0; i < send.size(); i++)
        send[i] = 1.0 / static_cast<double>(i + 1);

    try {
        SmartRedis::Client client("smartredis_put_get_3D_cpp");
        client.put_tensor("example_cpp_tensor", send.data(), dims, SRTensorTypeDouble, SRMemLayoutContiguous);

        void* data = nullptr;
        std::vector<size_t> got_dims;
        SRTensorType type = SRTensorTypeInvalid;
        client.get_tensor("example_cpp_tensor", data, got_dims, type, SRMemLayoutContiguous);
        std::vector<double> recv(send.size());
        client.unpack_tensor("example_cpp_tensor", recv.data(), {recv.size()}, SRTensorTypeDouble,
                             SRMemLayoutContiguous);

        const double* got = static_cast<const double*>(data);
        for (size_t i = 0; i < send.size(); i++) {
            if (got[i] != send[i] || recv[i] != send[i]) {
                std::cerr << "mismatch at " << i << "\n";
                return 1;
            }
        }
        if (got_dims != dims || type != SRTensorTypeDouble) {
            std::cerr << "wrong dims or type\n";
            return 1;
        }
    }
    catch (const SmartRedis::Exception& e) {
        std::cerr << e.exception_class() << ": " << e.what() << "\n";
        return 1;
    }
    std::cout << "C++ example: stored and read back a 3x2x5 tensor\n";
    return 0;
}
