// Puts a 3-D tensor of every type from each memory layout (nested, contiguous, Fortran-contiguous) through the
// C++ Client, then reads it back with unpack_tensor and get_tensor in each layout and checks every element,
// the dims and the type. Also exercises exists/poll/rename/copy/delete and the exception mapping.
// Needs a server: SSDB (and SR_DB_TYPE) set by the test driver.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <iostream>
#include <string>
#include <type_traits>
#include <vector>

#include "client.h"
#include "sr_test.hpp"

using namespace SmartRedis;

namespace {

constexpr size_t D0 = 3, D1 = 4, D2 = 5, N = D0 * D1 * D2;
const std::vector<size_t> DIMS{D0, D1, D2};

/// The value of element [i][j][k]; fits every tested type.
template <typename T> T value(size_t i, size_t j, size_t k)
{
    return static_cast<T>((i * 37 + j * 11 + k * 3) % 100 + (std::is_floating_point<T>::value ? 0.5 : 0));
}

/// Offset of [i][j][k] in a row-major (C) buffer and in a column-major (Fortran) buffer.
size_t c_at(size_t i, size_t j, size_t k) { return (i * D1 + j) * D2 + k; }
size_t f_at(size_t i, size_t j, size_t k) { return i + D0 * (j + D1 * k); }

/// A nested T*** view over row-major storage, as C/C++ callers build for SRMemLayoutNested.
template <typename T> struct Nested {
    std::vector<T> storage = std::vector<T>(N);
    std::vector<T*> rows = std::vector<T*>(D0 * D1);
    std::vector<T**> planes = std::vector<T**>(D0);
    Nested()
    {
        for (size_t i = 0; i < D0; i++) {
            planes[i] = &rows[i * D1];
            for (size_t j = 0; j < D1; j++)
                rows[i * D1 + j] = &storage[c_at(i, j, 0)];
        }
    }
    void* ptr() { return planes.data(); }
};

template <typename T> bool same_c(const T* data)
{
    for (size_t i = 0; i < D0; i++)
        for (size_t j = 0; j < D1; j++)
            for (size_t k = 0; k < D2; k++)
                if (data[c_at(i, j, k)] != value<T>(i, j, k))
                    return false;
    return true;
}

template <typename T> bool same_f(const T* data)
{
    for (size_t i = 0; i < D0; i++)
        for (size_t j = 0; j < D1; j++)
            for (size_t k = 0; k < D2; k++)
                if (data[f_at(i, j, k)] != value<T>(i, j, k))
                    return false;
    return true;
}

template <typename T> bool same_nested(T*** data)
{
    for (size_t i = 0; i < D0; i++)
        for (size_t j = 0; j < D1; j++)
            for (size_t k = 0; k < D2; k++)
                if (data[i][j][k] != value<T>(i, j, k))
                    return false;
    return true;
}

const SRMemoryLayout LAYOUTS[] = {SRMemLayoutNested, SRMemLayoutContiguous, SRMemLayoutFortranContiguous};

/// Puts from every layout and reads back in every layout, for element type T.
template <typename T> void check_type(Client& client, SRTensorType type, const std::string& tname)
{
    std::vector<T> c_buf(N), f_buf(N);
    Nested<T> nested;
    for (size_t i = 0; i < D0; i++)
        for (size_t j = 0; j < D1; j++)
            for (size_t k = 0; k < D2; k++) {
                c_buf[c_at(i, j, k)] = f_buf[f_at(i, j, k)] = value<T>(i, j, k);
                nested.storage[c_at(i, j, k)] = value<T>(i, j, k);
            }

    for (SRMemoryLayout put_layout : LAYOUTS) {
        const std::string key = "cpp_3d_" + tname + "_" + std::to_string(static_cast<int>(put_layout));
        void* src = put_layout == SRMemLayoutNested       ? nested.ptr()
                    : put_layout == SRMemLayoutContiguous ? static_cast<void*>(c_buf.data())
                                                          : static_cast<void*>(f_buf.data());
        client.put_tensor(key, src, DIMS, type, put_layout);
        CHECK(client.tensor_exists(key));

        // unpack_tensor into caller memory, in each layout.
        Nested<T> n_out;
        client.unpack_tensor(key, n_out.ptr(), DIMS, type, SRMemLayoutNested);
        CHECK(same_c(n_out.storage.data()));
        std::vector<T> c_out(N), f_out(N);
        client.unpack_tensor(key, c_out.data(), {N}, type, SRMemLayoutContiguous);
        CHECK(same_c(c_out.data()));
        client.unpack_tensor(key, f_out.data(), DIMS, type, SRMemLayoutFortranContiguous);
        CHECK(same_f(f_out.data()));

        // get_tensor into client-owned memory, in each layout and through both overloads.
        void* data = nullptr;
        std::vector<size_t> dims;
        SRTensorType got_type = SRTensorTypeInvalid;
        client.get_tensor(key, data, dims, got_type, SRMemLayoutContiguous);
        CHECK(dims == DIMS);
        CHECK(got_type == type);
        CHECK(same_c(static_cast<T*>(data)));
        client.get_tensor(key, data, dims, got_type, SRMemLayoutFortranContiguous);
        CHECK(same_f(static_cast<T*>(data)));
        size_t* c_dims = nullptr;
        size_t n_dims = 0;
        client.get_tensor(key, data, c_dims, n_dims, got_type, SRMemLayoutNested);
        CHECK(n_dims == 3 && c_dims[0] == D0 && c_dims[1] == D1 && c_dims[2] == D2);
        CHECK(same_nested(static_cast<T***>(data)));
    }
}

/// exists, poll, rename, copy, delete, and exceptions carrying the C error text.
void check_key_operations(Client& client)
{
    std::vector<double> v(N, 1.5);
    client.put_tensor("cpp_ops_a", v.data(), DIMS, SRTensorTypeDouble, SRMemLayoutContiguous);
    CHECK(client.poll_tensor("cpp_ops_a", 10, 5));
    CHECK(client.key_exists("cpp_ops_a"));
    client.copy_tensor("cpp_ops_a", "cpp_ops_b");
    CHECK(client.tensor_exists("cpp_ops_b"));
    client.rename_tensor("cpp_ops_b", "cpp_ops_c");
    CHECK(!client.tensor_exists("cpp_ops_b"));
    CHECK(client.tensor_exists("cpp_ops_c"));
    client.delete_tensor("cpp_ops_c");
    CHECK(!client.tensor_exists("cpp_ops_c"));
    CHECK(!client.poll_key("cpp_ops_c", 5, 2));

    bool thrown = false;
    try {
        client.unpack_tensor("cpp_ops_missing", v.data(), DIMS, SRTensorTypeDouble, SRMemLayoutContiguous);
    }
    catch (const Exception& e) {
        thrown = true;
        CHECK(e.to_error_code() != SRNoError);
        CHECK(std::string(e.what()).size() > 0);
        std::cout << "expected error (" << e.exception_class() << "): " << e.what() << "\n";
    }
    CHECK(thrown);

    thrown = false;
    try {
        client.put_tensor("cpp_ops_bad", v.data(), DIMS, SRTensorTypeInvalid, SRMemLayoutContiguous);
    }
    catch (const Exception& e) {
        thrown = true;
        CHECK(e.to_error_code() != SRNoError);
    }
    CHECK(thrown);
}

} // namespace

int main()
{
    try {
        Client client("client_test_put_get_3D");
        Client moved(std::move(client));
        check_type<double>(moved, SRTensorTypeDouble, "double");
        check_type<float>(moved, SRTensorTypeFloat, "float");
        check_type<int8_t>(moved, SRTensorTypeInt8, "int8");
        check_type<int16_t>(moved, SRTensorTypeInt16, "int16");
        check_type<int32_t>(moved, SRTensorTypeInt32, "int32");
        check_type<int64_t>(moved, SRTensorTypeInt64, "int64");
        check_type<uint8_t>(moved, SRTensorTypeUint8, "uint8");
        check_type<uint16_t>(moved, SRTensorTypeUint16, "uint16");
        check_key_operations(moved);

        // to_string / operator<<, and the deprecated cluster-flag constructor in this store's mode.
        std::ostringstream text;
        text << moved;
        CHECK(text.str().rfind("Client (client_test_put_get_3D)", 0) == 0);
        const char* db_type = std::getenv("SR_DB_TYPE");
        const bool cluster = db_type != nullptr && std::string(db_type) == "Clustered";
        Client deprecated(cluster, "client_test_deprecated");
        CHECK(deprecated.tensor_exists("cpp_ops_a"));
    }
    catch (const Exception& e) {
        std::cerr << "unexpected " << e.exception_class() << ": " << e.what() << " at " << e.where() << "\n";
        return 1;
    }
    return sr_test_result("client_test_put_get_3D");
}
