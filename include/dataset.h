/*
 * dataset.h: SmartRedis::DataSet, named tensors plus metadata stored as one unit, over the C functions of
 * c_dataset.h. In C this header is empty (upstream's c_dataset.h includes it).
 *
 * Every method throws the SmartRedis exception matching the SRError code of the C call (srexception_cpp.h).
 * Memory returned by the getters belongs to the DataSet and stays valid until it is destroyed, as upstream.
 */
#ifndef SMARTREDIS_DATASET_H
#define SMARTREDIS_DATASET_H

#ifdef __cplusplus

#include <ostream>
#include <string>
#include <vector>

#include "sr_enums.h"
#include "srobject.h"
#include "srexception_cpp.h"
#include "c_dataset.h"

namespace SmartRedis {

/// A named group of tensors and metadata fields. Copies are deep; moves transfer the contents.
class DataSet : public SRObject
{
    public:
        /// An empty dataset called `name`.
        DataSet(const std::string& name) : SRObject(name)
        {
            internal::check(CDataSet(name.data(), name.size(), &_dataset));
        }
        /// A deep copy of `other` (tensors and metadata).
        DataSet(const DataSet& other) : SRObject(other)
        {
            internal::check(sr_dataset_clone(other._dataset, &_dataset));
        }
        /// Replaces this dataset with a deep copy of `other`.
        DataSet& operator=(const DataSet& other)
        {
            if (this != &other) {
                void* copy = nullptr;
                internal::check(sr_dataset_clone(other._dataset, &copy));
                _free();
                SRObject::operator=(other);
                _dataset = copy;
            }
            return *this;
        }
        /// Takes over `other`'s contents; `other` may only be destroyed or assigned to.
        DataSet(DataSet&& other) noexcept : SRObject(std::move(other)), _dataset(other._dataset)
        {
            other._dataset = nullptr;
        }
        /// Frees this dataset and takes over `other`'s contents.
        DataSet& operator=(DataSet&& other) noexcept
        {
            if (this != &other) {
                _free();
                SRObject::operator=(std::move(other));
                _dataset = other._dataset;
                other._dataset = nullptr;
            }
            return *this;
        }
        ~DataSet() override { _free(); }

        /// Adds a copy of a tensor of `type` with shape `dims` read from `data` laid out as `mem_layout`.
        void add_tensor(const std::string& name, const void* data, const std::vector<size_t>& dims,
                        const SRTensorType type, const SRMemoryLayout mem_layout)
        {
            internal::check(::add_tensor(_dataset, name.data(), name.size(), const_cast<void*>(data), dims.data(),
                                         dims.size(), type, mem_layout));
        }
        /// Appends the scalar at `data` (of `type`) to metadata field `name`.
        void add_meta_scalar(const std::string& name, const void* data, const SRMetaDataType type)
        {
            internal::check(::add_meta_scalar(_dataset, name.data(), name.size(), data, type));
        }
        /// Appends `data` to string metadata field `name`.
        void add_meta_string(const std::string& name, const std::string& data)
        {
            internal::check(::add_meta_string(_dataset, name.data(), name.size(), data.data(), data.size()));
        }

        /// Gives tensor `name` in `mem_layout`; `data` points to memory owned by the dataset.
        void get_tensor(const std::string& name, void*& data, std::vector<size_t>& dims, SRTensorType& type,
                        const SRMemoryLayout mem_layout) const
        {
            size_t* c_dims = nullptr;
            size_t n_dims = 0;
            get_tensor(name, data, c_dims, n_dims, type, mem_layout);
            dims.assign(c_dims, c_dims + n_dims);
        }
        /// Gives tensor `name` in `mem_layout`; `data` and `dims` point to memory owned by the dataset.
        void get_tensor(const std::string& name, void*& data, size_t*& dims, size_t& n_dims, SRTensorType& type,
                        const SRMemoryLayout mem_layout) const
        {
            internal::check(::get_dataset_tensor(_dataset, name.data(), name.size(), &data, &dims, &n_dims, &type,
                                                 mem_layout));
        }
        /// Copies tensor `name` into the caller's `data`, which has shape `dims`, `type` and `mem_layout`.
        void unpack_tensor(const std::string& name, void* data, const std::vector<size_t>& dims,
                           const SRTensorType type, const SRMemoryLayout mem_layout)
        {
            internal::check(::unpack_dataset_tensor(_dataset, name.data(), name.size(), data, dims.data(),
                                                    dims.size(), type, mem_layout));
        }

        /// Gives the values of scalar field `name` (memory owned by the dataset).
        void get_meta_scalars(const std::string& name, void*& data, size_t& length, SRMetaDataType& type) const
        {
            internal::check(::get_meta_scalars(_dataset, name.data(), name.size(), &length, &type, &data));
        }
        /// The strings of string field `name`.
        std::vector<std::string> get_meta_strings(const std::string& name) const
        {
            char** data = nullptr;
            size_t n = 0;
            size_t* lengths = nullptr;
            get_meta_strings(name, data, n, lengths);
            return _strings(data, n, lengths);
        }
        /// Gives the strings of string field `name` (NUL-terminated copies owned by the dataset).
        void get_meta_strings(const std::string& name, char**& data, size_t& n_strings, size_t*& lengths) const
        {
            internal::check(::get_meta_strings(_dataset, name.data(), name.size(), &data, &n_strings, &lengths));
        }

        /// Whether metadata field `field_name` exists.
        bool has_field(const std::string& field_name) const
        {
            bool result = false;
            internal::check(sr_dataset_has_field(_dataset, field_name.data(), field_name.size(), &result));
            return result;
        }
        /// Removes metadata field `field_name` (nothing happens if it does not exist).
        void clear_field(const std::string& field_name)
        {
            internal::check(sr_dataset_clear_field(_dataset, field_name.data(), field_name.size()));
        }

        /// The dataset's name.
        std::string get_name() const { return _lname; }
        /// Renames the dataset object (not what is stored under the old name); an empty name is an error.
        void set_name(std::string name)
        {
            internal::check(sr_dataset_set_name(_dataset, name.data(), name.size()));
            _lname = name;
        }

        /// The tensor names in insertion order.
        std::vector<std::string> get_tensor_names() const
        {
            char** data = nullptr;
            size_t n = 0;
            size_t* lengths = nullptr;
            get_tensor_names(data, n, lengths);
            return _strings(data, n, lengths);
        }
        /// Gives the tensor names (NUL-terminated copies owned by the dataset; NULL arrays when there are none).
        void get_tensor_names(char**& data, size_t& n_strings, size_t*& lengths) const
        {
            internal::check(::get_tensor_names(_dataset, &data, &n_strings, &lengths));
        }
        /// The type of tensor `name` (KeyException if it does not exist).
        SRTensorType get_tensor_type(const std::string& name) const
        {
            SRTensorType type = SRTensorTypeInvalid;
            internal::check(::get_tensor_type(_dataset, name.data(), name.size(), &type));
            return type;
        }
        /// The dimensions of tensor `name` (KeyException if it does not exist).
        const std::vector<size_t> get_tensor_dims(const std::string& name) const
        {
            std::vector<size_t> dims(8);
            size_t n = dims.size();
            size_t* buf = dims.data();
            SRError err = ::get_tensor_dims(_dataset, name.data(), name.size(), &buf, &n);
            if (err == SRBadAllocError && n > dims.size()) {
                dims.resize(n);
                buf = dims.data();
                err = ::get_tensor_dims(_dataset, name.data(), name.size(), &buf, &n);
            }
            internal::check(err);
            dims.resize(n);
            return dims;
        }
        /// The metadata field names (without internal fields).
        std::vector<std::string> get_metadata_field_names() const
        {
            char** data = nullptr;
            size_t n = 0;
            size_t* lengths = nullptr;
            get_metadata_field_names(data, n, lengths);
            return _strings(data, n, lengths);
        }
        /// Gives the metadata field names (NUL-terminated copies owned by the dataset).
        void get_metadata_field_names(char**& data, size_t& n_strings, size_t*& lengths) const
        {
            internal::check(::get_metadata_field_names(_dataset, &data, &n_strings, &lengths));
        }
        /// The type of metadata field `name` (KeyException if it does not exist).
        SRMetaDataType get_metadata_field_type(const std::string& name) const
        {
            SRMetaDataType type = SRMetadataTypeInvalid;
            internal::check(::get_metadata_field_type(_dataset, name.data(), name.size(), &type));
            return type;
        }

        /// A description: "DataSet (<name>):", its tensors and metadata fields.
        std::string to_string() const
        {
            const char* text = dataset_to_string(_dataset);
            return text != nullptr ? std::string(text) : std::string();
        }

        /// The C handle (`void*` of c_dataset.h); owned by this object.
        void* _get_c_handle() const noexcept { return _dataset; }
        /// Takes ownership of `c_dataset`, a handle made by the C API (e.g. get_dataset), which this object frees.
        /// Not part of upstream's API.
        static DataSet _adopt_c_handle(void* c_dataset, const std::string& name)
        {
            if (c_dataset == nullptr)
                throw ParameterException("DataSet::_adopt_c_handle: the C dataset handle is NULL");
            return DataSet(AdoptTag{}, c_dataset, name);
        }

    protected:
        const void* _c_log_context() const noexcept override { return _dataset; }

    private:
        struct AdoptTag {};
        DataSet(AdoptTag, void* c_dataset, const std::string& name) : SRObject(name), _dataset(c_dataset) {}
        static std::vector<std::string> _strings(char** data, size_t n, const size_t* lengths)
        {
            std::vector<std::string> out;
            out.reserve(n);
            for (size_t i = 0; i < n; i++)
                out.emplace_back(data[i], lengths[i]);
            return out;
        }
        void _free() noexcept
        {
            if (_dataset != nullptr)
                (void)DeallocateDataSet(&_dataset);
            _dataset = nullptr;
        }

        void* _dataset = nullptr;
};

/// Writes dataset.to_string() to `stream`.
inline std::ostream& operator<<(std::ostream& stream, const DataSet& dataset)
{
    return stream << dataset.to_string();
}

} // namespace SmartRedis

#endif /* __cplusplus */
#endif /* SMARTREDIS_DATASET_H */
