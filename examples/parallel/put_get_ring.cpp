// MPI example (C++): every rank stores a 3-D tensor under its own key, waits for the tensor of the next rank
// (poll_tensor), reads it back with unpack_tensor and checks it. Run with `mpirun -n 2` or more.
#include <mpi.h>

#include <iostream>
#include <string>
#include <vector>

#include "client.h"

namespace {

/// The value rank `rank` stores at flat index `i`.
double value(int rank, size_t i) { return rank * 1000.0 + static_cast<double>(i); }

int run(int rank, int size)
{
    const std::vector<size_t> dims = {4, 3, 2};
    const size_t n = dims[0] * dims[1] * dims[2];
    std::vector<double> mine(n), theirs(n);
    for (size_t i = 0; i < n; i++)
        mine[i] = value(rank, i);

    SmartRedis::Client client("put_get_ring_rank_" + std::to_string(rank));
    client.put_tensor("ring_cpp_" + std::to_string(rank), mine.data(), dims, SRTensorTypeDouble,
                      SRMemLayoutContiguous);

    const int next = (rank + 1) % size;
    const std::string key = "ring_cpp_" + std::to_string(next);
    if (!client.poll_tensor(key, 50, 200)) {
        std::cerr << "rank " << rank << ": " << key << " never appeared\n";
        return 1;
    }
    client.unpack_tensor(key, theirs.data(), dims, SRTensorTypeDouble, SRMemLayoutContiguous);
    for (size_t i = 0; i < n; i++) {
        if (theirs[i] != value(next, i)) {
            std::cerr << "rank " << rank << ": wrong value at " << i << "\n";
            return 1;
        }
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int status = 1;
    try {
        status = run(rank, size);
    }
    catch (const SmartRedis::Exception& e) {
        std::cerr << "rank " << rank << ": " << e.exception_class() << ": " << e.what() << "\n";
    }
    int worst = 0;
    MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0 && worst == 0)
        std::cout << "C++ MPI example: " << size << " ranks exchanged tensors\n";
    MPI_Finalize();
    return worst;
}
