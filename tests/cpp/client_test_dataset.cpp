// The C++ DataSet and the Client's dataset methods against a live store, in the style of upstream's
// client_test_dataset*.cpp: every metadata type, nested 3-D tensors, the acknowledgement field, value semantics
// (copy and move), copy/rename/delete, and the exceptions of the error paths.
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "client.h"
#include "dataset.h"
#include "srexception.h"
#include "sr_test.hpp"

using namespace SmartRedis;

namespace {

constexpr size_t D0 = 3, D1 = 2, D2 = 4;

// A D0 x D1 x D2 nested array of doubles with value i*100 + j*10 + k + offset.
struct Nested3D {
    std::vector<double> storage;
    std::vector<double*> rows;
    std::vector<double**> top;
    explicit Nested3D(double offset) : storage(D0 * D1 * D2), rows(D0 * D1), top(D0)
    {
        for (size_t i = 0; i < D0; i++) {
            for (size_t j = 0; j < D1; j++) {
                rows[i * D1 + j] = &storage[(i * D1 + j) * D2];
                for (size_t k = 0; k < D2; k++)
                    storage[(i * D1 + j) * D2 + k] = double(i * 100 + j * 10 + k) + offset;
            }
            top[i] = &rows[i * D1];
        }
    }
    void* ptr() { return top.data(); }
};

template <typename T>
void add_scalars(DataSet& ds, const std::string& field, SRMetaDataType type, const std::vector<T>& values)
{
    for (const T& v : values)
        ds.add_meta_scalar(field, &v, type);
}

template <typename T>
void check_scalars(const DataSet& ds, const std::string& field, SRMetaDataType type, const std::vector<T>& values)
{
    void* data = nullptr;
    size_t n = 0;
    SRMetaDataType got_type = SRMetadataTypeInvalid;
    ds.get_meta_scalars(field, data, n, got_type);
    CHECK(got_type == type);
    CHECK(n == values.size());
    CHECK(n == values.size() && std::memcmp(data, values.data(), n * sizeof(T)) == 0);
    CHECK(ds.get_metadata_field_type(field) == type);
}

const std::vector<double> DBL = {std::numeric_limits<double>::max(), -1.25};
const std::vector<float> FLT = {3.5f};
const std::vector<int32_t> I32 = {std::numeric_limits<int32_t>::min(), 7};
const std::vector<int64_t> I64 = {std::numeric_limits<int64_t>::max()};
const std::vector<uint32_t> U32 = {std::numeric_limits<uint32_t>::max()};
const std::vector<uint64_t> U64 = {std::numeric_limits<uint64_t>::max(), 0, 9};
const std::vector<std::string> STR = {"first", "", "third"};

DataSet make_dataset(const std::string& name)
{
    DataSet ds(name);
    Nested3D t0(0.0), t1(0.5), t2(0.25);
    std::vector<size_t> dims = {D0, D1, D2};
    ds.add_tensor("tensor_0", t0.ptr(), dims, SRTensorTypeDouble, SRMemLayoutNested);
    ds.add_tensor("tensor_1", t1.ptr(), dims, SRTensorTypeDouble, SRMemLayoutNested);
    ds.add_tensor("tensor_2", t2.ptr(), dims, SRTensorTypeDouble, SRMemLayoutNested);
    add_scalars(ds, "dbl_field", SRMetadataTypeDouble, DBL);
    add_scalars(ds, "flt_field", SRMetadataTypeFloat, FLT);
    add_scalars(ds, "i32_field", SRMetadataTypeInt32, I32);
    add_scalars(ds, "i64_field", SRMetadataTypeInt64, I64);
    add_scalars(ds, "u32_field", SRMetadataTypeUint32, U32);
    add_scalars(ds, "u64_field", SRMetadataTypeUint64, U64);
    for (const std::string& s : STR)
        ds.add_meta_string("str_field", s);
    return ds;
}

void check_dataset(const DataSet& ds)
{
    CHECK((ds.get_tensor_names() == std::vector<std::string>{"tensor_0", "tensor_1", "tensor_2"}));
    const double offsets[3] = {0.0, 0.5, 0.25};
    for (int t = 0; t < 3; t++) {
        std::string name = "tensor_" + std::to_string(t);
        Nested3D want(offsets[t]);
        void* data = nullptr;
        std::vector<size_t> dims;
        SRTensorType type = SRTensorTypeInvalid;
        ds.get_tensor(name, data, dims, type, SRMemLayoutNested);
        CHECK((dims == std::vector<size_t>{D0, D1, D2}));
        CHECK(type == SRTensorTypeDouble);
        double*** nested = static_cast<double***>(data);
        bool same = true;
        for (size_t i = 0; i < D0; i++)
            for (size_t j = 0; j < D1; j++)
                for (size_t k = 0; k < D2; k++)
                    same = same && nested[i][j][k] == want.storage[(i * D1 + j) * D2 + k];
        CHECK(same);
        CHECK(ds.get_tensor_type(name) == SRTensorTypeDouble);
        CHECK((ds.get_tensor_dims(name) == std::vector<size_t>{D0, D1, D2}));
    }
    check_scalars(ds, "dbl_field", SRMetadataTypeDouble, DBL);
    check_scalars(ds, "flt_field", SRMetadataTypeFloat, FLT);
    check_scalars(ds, "i32_field", SRMetadataTypeInt32, I32);
    check_scalars(ds, "i64_field", SRMetadataTypeInt64, I64);
    check_scalars(ds, "u32_field", SRMetadataTypeUint32, U32);
    check_scalars(ds, "u64_field", SRMetadataTypeUint64, U64);
    CHECK(ds.get_meta_strings("str_field") == STR);
    CHECK(ds.get_metadata_field_type("str_field") == SRMetadataTypeString);
    CHECK(ds.get_metadata_field_names().size() == 7);
    CHECK(ds.has_field("u64_field") && !ds.has_field("absent"));
}

template <typename E, typename F>
void check_throws(F f, const char* what)
{
    try {
        f();
        std::cerr << "no exception: " << what << "\n";
        ++failures;
    }
    catch (const E&) {
    }
    catch (const std::exception& e) {
        std::cerr << "wrong exception for " << what << ": " << e.what() << "\n";
        ++failures;
    }
}

} // namespace

int main()
{
    Client client("client_test_dataset");
    const std::string name = "cpp_dataset";

    DataSet ds = make_dataset(name);
    check_dataset(ds);
    CHECK(ds.get_name() == name);
    CHECK(ds.to_string().rfind("DataSet (" + name + "):", 0) == 0);

    CHECK(!client.dataset_exists(name));
    CHECK(!client.poll_dataset(name, 1, 2));
    client.put_dataset(ds);
    CHECK(client.dataset_exists(name));
    CHECK(client.poll_dataset(name, 1, 1));
    CHECK(client.key_exists("{" + name + "}.meta"));
    CHECK(client.key_exists("{" + name + "}.tensor_1"));

    DataSet got = client.get_dataset(name);
    CHECK(got.get_name() == name);
    check_dataset(got);

    // Value semantics: copies are deep and independent; moves transfer.
    DataSet copy(got);
    check_dataset(copy);
    copy.add_meta_string("extra", "only in the copy");
    CHECK(copy.has_field("extra") && !got.has_field("extra"));
    DataSet assigned("other");
    assigned = copy;
    CHECK(assigned.get_name() == name && assigned.has_field("extra"));
    DataSet moved(std::move(assigned));
    CHECK(moved.has_field("extra"));
    DataSet move_assigned("x");
    move_assigned = std::move(moved);
    CHECK(move_assigned.has_field("extra"));
    move_assigned.clear_field("extra");
    CHECK(!move_assigned.has_field("extra"));
    check_dataset(move_assigned);
    move_assigned.set_name("renamed_object");
    CHECK(move_assigned.get_name() == "renamed_object");
    client.put_dataset(move_assigned);
    check_dataset(client.get_dataset("renamed_object"));

    // Copy, rename, delete on the server.
    client.copy_dataset(name, name + "_copy");
    check_dataset(client.get_dataset(name + "_copy"));
    client.rename_dataset(name + "_copy", name + "_renamed");
    CHECK(!client.dataset_exists(name + "_copy"));
    CHECK(!client.key_exists("{" + name + "_copy}.meta"));
    check_dataset(client.get_dataset(name + "_renamed"));
    client.delete_dataset(name + "_renamed");
    CHECK(!client.dataset_exists(name + "_renamed"));
    CHECK(!client.key_exists("{" + name + "_renamed}.tensor_0"));

    // Unpack into caller memory, contiguous.
    std::vector<double> flat(D0 * D1 * D2);
    got.unpack_tensor("tensor_1", flat.data(), {D0 * D1 * D2}, SRTensorTypeDouble, SRMemLayoutContiguous);
    CHECK(flat == Nested3D(0.5).storage);

    // Aggregation lists, as upstream's client_test_dataset_aggregation.cpp.
    for (int i = 0; i < 4; i++) {
        DataSet member = make_dataset("agg_" + std::to_string(i));
        client.put_dataset(member);
        client.append_to_list("cpp_list", member);
    }
    CHECK(client.get_list_length("cpp_list") == 4);
    CHECK(client.poll_list_length("cpp_list", 4, 1, 1));
    CHECK(!client.poll_list_length("cpp_list", 5, 1, 2));
    CHECK(client.poll_list_length_gte("cpp_list", 3, 1, 1));
    CHECK(!client.poll_list_length_gte("cpp_list", 5, 1, 1));
    CHECK(client.poll_list_length_lte("cpp_list", 4, 1, 1));
    CHECK(!client.poll_list_length_lte("cpp_list", 3, 1, 1));
    std::vector<DataSet> members = client.get_datasets_from_list("cpp_list");
    CHECK(members.size() == 4);
    for (size_t i = 0; i < members.size(); i++) {
        CHECK(members[i].get_name() == "agg_" + std::to_string(i));
        check_dataset(members[i]);
    }
    std::vector<DataSet> range = client.get_dataset_list_range("cpp_list", 1, 2);
    CHECK(range.size() == 2 && range[0].get_name() == "agg_1" && range[1].get_name() == "agg_2");
    client.copy_list("cpp_list", "cpp_list_copy");
    client.rename_list("cpp_list_copy", "cpp_list_moved");
    CHECK(client.get_list_length("cpp_list_copy") == 0 && client.get_list_length("cpp_list_moved") == 4);
    client.delete_list("cpp_list_moved");
    CHECK(client.get_list_length("cpp_list_moved") == 0);
    check_throws<ParameterException>([&] { client.poll_list_length("cpp_list", -1, 1, 1); }, "negative length");
    check_throws<RuntimeException>([&] { client.copy_list("no_list", "x"); }, "copy of a missing list");

    // Error paths, as exceptions.
    check_throws<KeyException>([&] { client.get_dataset("no_such_dataset"); }, "get_dataset of a missing dataset");
    check_throws<KeyException>([&] { client.delete_dataset("no_such_dataset"); }, "delete of a missing dataset");
    check_throws<KeyException>([&] { client.copy_dataset("no_such_dataset", "x"); }, "copy of a missing dataset");
    check_throws<RuntimeException>([&] {
        DataSet empty("empty");
        client.put_dataset(empty);
    }, "put of an empty dataset");
    check_throws<KeyException>([&] { got.get_tensor_type("nope"); }, "type of a missing tensor");
    check_throws<KeyException>([&] { got.get_tensor_dims("nope"); }, "dims of a missing tensor");
    check_throws<KeyException>([&] { got.get_metadata_field_type("nope"); }, "type of a missing field");
    check_throws<RuntimeException>([&] {
        std::vector<float> f(D0 * D1 * D2);
        got.unpack_tensor("tensor_0", f.data(), {D0 * D1 * D2}, SRTensorTypeFloat, SRMemLayoutContiguous);
    }, "unpack with the wrong type");
    check_throws<RuntimeException>([&] {
        int32_t v = 1;
        got.add_meta_scalar("dbl_field", &v, SRMetadataTypeInt32);
    }, "scalar of another type");
    check_throws<ParameterException>([&] { DataSet bad(""); }, "empty dataset name");

    return sr_test_result("client_test_dataset");
}
