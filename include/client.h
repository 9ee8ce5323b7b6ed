/*
 * client.h: SmartRedis::Client, a connection to the feature store, over the C functions of c_client.h.
 * In C this header is empty (upstream's c_client.h includes it).
 *
 * Every method throws the SmartRedis exception matching the SRError code of the C call (srexception_cpp.h).
 */
#ifndef SMARTREDIS_CLIENT_H
#define SMARTREDIS_CLIENT_H

#ifdef __cplusplus

#include <ostream>
#include <string>
#include <vector>
/* Standard headers that upstream's client.h included transitively and that SmartRedis user code relies on. */
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "sr_enums.h"
#include "srobject.h"
#include "srexception_cpp.h"
#include "configoptions.h"
#include "dataset.h"
#include "c_client.h"

/// The result of Client::get_db_cluster_info, get_ai_info and config_get: field -> value (as upstream).
using parsed_reply_map = std::unordered_map<std::string, std::string>;
/// The result of Client::get_db_node_info: INFO section -> field -> value (as upstream).
using parsed_reply_nested_map = std::unordered_map<std::string, parsed_reply_map>;

namespace SmartRedis {

/// A client of the feature store. Move-only; the connection is closed when it is destroyed.
class Client : public SRObject
{
    public:
        /// A client configured from the environment (SSDB, SR_DB_TYPE, ...), logging as `logger_name`.
        Client(const char* logger_name) : Client(std::string(logger_name != nullptr ? logger_name : "default")) {}
        /// A client configured from the environment, logging as `logger_name`.
        Client(const std::string& logger_name = "default") : SRObject(logger_name)
        {
            internal::check(SimpleCreateClient(logger_name.data(), logger_name.size(), &_client));
        }
        /// A client configured from `cfgopts` (not retained: the caller keeps ownership).
        Client(ConfigOptions* cfgopts, const std::string& logger_name = "default") : SRObject(logger_name)
        {
            void* cfg = cfgopts != nullptr ? cfgopts->_get_c_handle() : nullptr;
            internal::check(CreateClient(cfg, logger_name.data(), logger_name.size(), &_client));
        }
        /// Deprecated: a client of a cluster (`cluster` true) or a standalone server, ignoring SR_DB_TYPE.
        Client(bool cluster, const std::string& logger_name = "default") : SRObject(logger_name)
        {
            internal::check(SmartRedisCClient(cluster, logger_name.data(), logger_name.size(), &_client));
        }

        Client(const Client&) = delete;
        Client& operator=(const Client&) = delete;
        /// Takes over `other`'s connection; `other` may only be destroyed or assigned to.
        Client(Client&& other) noexcept : SRObject(std::move(other)), _client(other._client)
        {
            other._client = nullptr;
        }
        /// Closes this client and takes over `other`'s connection.
        Client& operator=(Client&& other) noexcept
        {
            if (this != &other) {
                _free();
                SRObject::operator=(std::move(other));
                _client = other._client;
                other._client = nullptr;
            }
            return *this;
        }
        /// Closes the connection.
        ~Client() override { _free(); }

        /// Stores a tensor of `type` with shape `dims` read from `data` laid out as `mem_layout`.
        void put_tensor(const std::string& name, const void* data, const std::vector<size_t>& dims,
                        const SRTensorType type, const SRMemoryLayout mem_layout)
        {
            internal::check(::put_tensor(_client, name.data(), name.size(), const_cast<void*>(data), dims.data(),
                                         dims.size(), type, mem_layout));
        }
        /// Fetches a tensor into memory owned by the client (valid until the client is destroyed).
        void get_tensor(const std::string& name, void*& data, std::vector<size_t>& dims, SRTensorType& type,
                        const SRMemoryLayout mem_layout)
        {
            size_t* c_dims = nullptr;
            size_t n_dims = 0;
            get_tensor(name, data, c_dims, n_dims, type, mem_layout);
            dims.assign(c_dims, c_dims + n_dims);
        }
        /// Fetches a tensor; `data` and `dims` point to memory owned by the client.
        void get_tensor(const std::string& name, void*& data, size_t*& dims, size_t& n_dims, SRTensorType& type,
                        const SRMemoryLayout mem_layout)
        {
            internal::check(::get_tensor(_client, name.data(), name.size(), &data, &dims, &n_dims, &type,
                                         mem_layout));
        }
        /// Fetches a tensor into the caller's `data`, which has shape `dims`, `type` and `mem_layout`.
        void unpack_tensor(const std::string& name, void* data, const std::vector<size_t>& dims,
                           const SRTensorType type, const SRMemoryLayout mem_layout)
        {
            internal::check(
                ::unpack_tensor(_client, name.data(), name.size(), data, dims.data(), dims.size(), type, mem_layout));
        }
        /// Renames tensor `old_name` to `new_name`.
        void rename_tensor(const std::string& old_name, const std::string& new_name)
        {
            internal::check(
                ::rename_tensor(_client, old_name.data(), old_name.size(), new_name.data(), new_name.size()));
        }
        /// Deletes tensor `name`.
        void delete_tensor(const std::string& name)
        {
            internal::check(::delete_tensor(_client, name.data(), name.size()));
        }
        /// Copies tensor `src_name` to `dest_name`.
        void copy_tensor(const std::string& src_name, const std::string& dest_name)
        {
            internal::check(
                ::copy_tensor(_client, src_name.data(), src_name.size(), dest_name.data(), dest_name.size()));
        }

        /// Stores `dataset` under its name (metadata, tensors, then the acknowledgement, in one pipeline).
        void put_dataset(DataSet& dataset)
        {
            internal::check(::put_dataset(_client, dataset._get_c_handle()));
        }
        /// Fetches dataset `name` (KeyException if it does not exist).
        DataSet get_dataset(const std::string& name)
        {
            void* handle = nullptr;
            internal::check(::get_dataset(_client, name.data(), name.size(), &handle));
            return DataSet::_adopt_c_handle(handle, name);
        }
        /// Renames dataset `old_name` to `new_name`.
        void rename_dataset(const std::string& old_name, const std::string& new_name)
        {
            internal::check(
                ::rename_dataset(_client, old_name.data(), old_name.size(), new_name.data(), new_name.size()));
        }
        /// Copies dataset `src_name` to `dest_name`.
        void copy_dataset(const std::string& src_name, const std::string& dest_name)
        {
            internal::check(
                ::copy_dataset(_client, src_name.data(), src_name.size(), dest_name.data(), dest_name.size()));
        }
        /// Deletes dataset `name` and its tensors (KeyException if it does not exist).
        void delete_dataset(const std::string& name)
        {
            internal::check(::delete_dataset(_client, name.data(), name.size()));
        }
        /// Whether dataset `name` is completely stored.
        bool dataset_exists(const std::string& name)
        {
            bool exists = false;
            internal::check(::dataset_exists(_client, name.data(), name.size(), &exists));
            return exists;
        }
        /// Checks dataset `name` up to `num_tries` times, `poll_frequency_ms` apart; whether it appeared.
        bool poll_dataset(const std::string& name, int poll_frequency_ms, int num_tries)
        {
            bool exists = false;
            internal::check(
                ::poll_dataset(_client, name.data(), name.size(), poll_frequency_ms, num_tries, &exists));
            return exists;
        }

        /// Appends `dataset` (which should have been put) to aggregation list `list_name`.
        void append_to_list(const std::string& list_name, const DataSet& dataset)
        {
            internal::check(::append_to_list(_client, list_name.data(), list_name.size(), dataset._get_c_handle()));
        }
        /// Deletes aggregation list `list_name` (the datasets stay).
        void delete_list(const std::string& list_name)
        {
            internal::check(::delete_list(_client, list_name.data(), list_name.size()));
        }
        /// Copies aggregation list `src_name` to `dest_name`.
        void copy_list(const std::string& src_name, const std::string& dest_name)
        {
            internal::check(
                ::copy_list(_client, src_name.data(), src_name.size(), dest_name.data(), dest_name.size()));
        }
        /// Renames aggregation list `src_name` to `dest_name`.
        void rename_list(const std::string& src_name, const std::string& dest_name)
        {
            internal::check(
                ::rename_list(_client, src_name.data(), src_name.size(), dest_name.data(), dest_name.size()));
        }
        /// The number of datasets in aggregation list `list_name`.
        int get_list_length(const std::string& list_name)
        {
            int length = 0;
            internal::check(::get_list_length(_client, list_name.data(), list_name.size(), &length));
            return length;
        }
        /// Checks up to `num_tries` times whether list `list_name` has exactly `list_length` datasets.
        bool poll_list_length(const std::string& list_name, int list_length, int poll_frequency_ms, int num_tries)
        {
            bool result = false;
            internal::check(::poll_list_length(_client, list_name.data(), list_name.size(), list_length,
                                               poll_frequency_ms, num_tries, &result));
            return result;
        }
        /// Checks up to `num_tries` times whether list `list_name` has at least `list_length` datasets.
        bool poll_list_length_gte(const std::string& list_name, int list_length, int poll_frequency_ms,
                                  int num_tries)
        {
            bool result = false;
            internal::check(::poll_list_length_gte(_client, list_name.data(), list_name.size(), list_length,
                                                   poll_frequency_ms, num_tries, &result));
            return result;
        }
        /// Checks up to `num_tries` times whether list `list_name` has at most `list_length` datasets.
        bool poll_list_length_lte(const std::string& list_name, int list_length, int poll_frequency_ms,
                                  int num_tries)
        {
            bool result = false;
            internal::check(::poll_list_length_lte(_client, list_name.data(), list_name.size(), list_length,
                                                   poll_frequency_ms, num_tries, &result));
            return result;
        }
        /// Every dataset of aggregation list `list_name`, in list order.
        std::vector<DataSet> get_datasets_from_list(const std::string& list_name)
        {
            void** array = nullptr;
            size_t n = 0;
            internal::check(::get_datasets_from_list(_client, list_name.data(), list_name.size(), &array, &n));
            return _adopt_datasets(array, n);
        }
        /// The datasets at positions `start_index ..= end_index` of list `list_name` (negative: from the end).
        std::vector<DataSet> get_dataset_list_range(const std::string& list_name, const int start_index,
                                                    const int end_index)
        {
            void** array = nullptr;
            size_t n = 0;
            internal::check(::get_dataset_list_range(_client, list_name.data(), list_name.size(), start_index,
                                                     end_index, &array, &n));
            return _adopt_datasets(array, n);
        }

        /// FLUSHDB on the node at `address` ("host:port" of this client's database).
        void flush_db(const std::string address)
        {
            internal::check(sr_flush_db(_client, address.data(), address.size()));
        }
        /// CONFIG SET `config_param` `value` on the node at `address`.
        void config_set(const std::string config_param, const std::string value, const std::string address)
        {
            internal::check(sr_config_set(_client, config_param.data(), config_param.size(), value.data(),
                                          value.size(), address.data(), address.size()));
        }
        /// SAVE on the node at `address`.
        void save(const std::string address)
        {
            internal::check(sr_save(_client, address.data(), address.size()));
        }
        /// INFO EVERYTHING of the node at `address`, as section -> field -> value.
        parsed_reply_nested_map get_db_node_info(const std::string address)
        {
            _StringArrays a(3);
            internal::check(sr_get_db_node_info(_client, address.data(), address.size(), &a.arrays[0],
                                                &a.arrays[1], &a.arrays[2], &a.count));
            parsed_reply_nested_map out;
            for (size_t i = 0; i < a.count; i++) {
                parsed_reply_map& section = out[a.arrays[0][i]];
                if (a.arrays[1][i][0] != '\0') // (an empty key stands for a section without fields)
                    section[a.arrays[1][i]] = a.arrays[2][i];
            }
            return out;
        }
        /// CLUSTER INFO of the node at `address`, as field -> value (a RuntimeException outside a cluster).
        parsed_reply_map get_db_cluster_info(const std::string address)
        {
            _StringArrays a(2);
            internal::check(sr_get_db_cluster_info(_client, address.data(), address.size(), &a.arrays[0],
                                                   &a.arrays[1], &a.count));
            return a.as_map();
        }
        /// AI.INFO of model or script `key` (no ensemble prefix) on the node at `address`, as field -> value;
        /// `reset_stat` resets the statistics (and returns an empty map).
        parsed_reply_map get_ai_info(const std::string& address, const std::string& key, const bool reset_stat)
        {
            _StringArrays a(2);
            internal::check(sr_get_ai_info(_client, address.data(), address.size(), key.data(), key.size(),
                                           reset_stat, &a.arrays[0], &a.arrays[1], &a.count));
            return a.as_map();
        }
        /// CONFIG GET `expression` on the node at `address`, as parameter -> value (empty for an unknown one).
        std::unordered_map<std::string, std::string> config_get(const std::string expression,
                                                                const std::string address)
        {
            _StringArrays a(2);
            internal::check(sr_config_get(_client, expression.data(), expression.size(), address.data(),
                                          address.size(), &a.arrays[0], &a.arrays[1], &a.count));
            return a.as_map();
        }

        /// Stores `model` (serialized bytes) under `name` with `backend` (TF, TFLITE, TORCH, ONNX) on `device`
        /// (CPU, GPU, GPU:<n>); auto-batching by `batch_size`, `min_batch_size`, `min_batch_timeout` (0: off);
        /// `inputs`/`outputs` name the graph's tensors of a TF model (ParameterException for other backends).
        void set_model(const std::string& name, const std::string_view& model, const std::string& backend,
                       const std::string& device, int batch_size = 0, int min_batch_size = 0,
                       int min_batch_timeout = 0, const std::string& tag = "",
                       const std::vector<std::string>& inputs = std::vector<std::string>(),
                       const std::vector<std::string>& outputs = std::vector<std::string>())
        {
            _check_model_names(backend, inputs, outputs);
            _Names in(inputs), out(outputs);
            internal::check(::set_model(_client, name.data(), name.size(), model.data(), model.size(),
                                        backend.data(), backend.size(), device.data(), device.size(), batch_size,
                                        min_batch_size, min_batch_timeout, tag.data(), tag.size(), in.ptrs(),
                                        in.lengths(), in.size(), out.ptrs(), out.lengths(), out.size()));
        }
        /// As set_model, with the model read from the file `model_file`.
        void set_model_from_file(const std::string& name, const std::string& model_file, const std::string& backend,
                                 const std::string& device, int batch_size = 0, int min_batch_size = 0,
                                 int min_batch_timeout = 0, const std::string& tag = "",
                                 const std::vector<std::string>& inputs = std::vector<std::string>(),
                                 const std::vector<std::string>& outputs = std::vector<std::string>())
        {
            _check_model_names(backend, inputs, outputs);
            _Names in(inputs), out(outputs);
            internal::check(::set_model_from_file(
                _client, name.data(), name.size(), model_file.data(), model_file.size(), backend.data(),
                backend.size(), device.data(), device.size(), batch_size, min_batch_size, min_batch_timeout,
                tag.data(), tag.size(), in.ptrs(), in.lengths(), in.size(), out.ptrs(), out.lengths(), out.size()));
        }
        /// Stores one copy of `model` per GPU `first_gpu .. first_gpu + num_gpus - 1` (key "<name>.GPU:<i>") and
        /// one under `name` on device GPU.
        void set_model_multigpu(const std::string& name, const std::string_view& model, const std::string& backend,
                                int first_gpu, int num_gpus, int batch_size = 0, int min_batch_size = 0,
                                int min_batch_timeout = 0, const std::string& tag = "",
                                const std::vector<std::string>& inputs = std::vector<std::string>(),
                                const std::vector<std::string>& outputs = std::vector<std::string>())
        {
            _check_model_names(backend, inputs, outputs);
            _Names in(inputs), out(outputs);
            internal::check(::set_model_multigpu(
                _client, name.data(), name.size(), model.data(), model.size(), backend.data(), backend.size(),
                first_gpu, num_gpus, batch_size, min_batch_size, min_batch_timeout, tag.data(), tag.size(),
                in.ptrs(), in.lengths(), in.size(), out.ptrs(), out.lengths(), out.size()));
        }
        /// As set_model_multigpu, with the model read from the file `model_file`.
        void set_model_from_file_multigpu(const std::string& name, const std::string& model_file,
                                          const std::string& backend, int first_gpu, int num_gpus,
                                          int batch_size = 0, int min_batch_size = 0, int min_batch_timeout = 0,
                                          const std::string& tag = "",
                                          const std::vector<std::string>& inputs = std::vector<std::string>(),
                                          const std::vector<std::string>& outputs = std::vector<std::string>())
        {
            _check_model_names(backend, inputs, outputs);
            _Names in(inputs), out(outputs);
            internal::check(::set_model_from_file_multigpu(
                _client, name.data(), name.size(), model_file.data(), model_file.size(), backend.data(),
                backend.size(), first_gpu, num_gpus, batch_size, min_batch_size, min_batch_timeout, tag.data(),
                tag.size(), in.ptrs(), in.lengths(), in.size(), out.ptrs(), out.lengths(), out.size()));
        }
        /// The serialized bytes of model `name`; the memory belongs to the client (valid until the next
        /// get_model of `name` or the client's destruction).
        std::string_view get_model(const std::string& name)
        {
            const char* model = nullptr;
            size_t length = 0;
            internal::check(::get_model(_client, name.data(), name.size(), &length, &model));
            return std::string_view(model, length);
        }
        /// Stores TorchScript `script` under `name` on `device`.
        void set_script(const std::string& name, const std::string& device, const std::string_view& script)
        {
            internal::check(::set_script(_client, name.data(), name.size(), device.data(), device.size(),
                                         script.data(), script.size()));
        }
        /// As set_script, with the source read from the file `script_file`.
        void set_script_from_file(const std::string& name, const std::string& device, const std::string& script_file)
        {
            internal::check(::set_script_from_file(_client, name.data(), name.size(), device.data(), device.size(),
                                                   script_file.data(), script_file.size()));
        }
        /// Stores one copy of `script` per GPU `first_gpu .. first_gpu + num_gpus - 1` and one on device GPU.
        void set_script_multigpu(const std::string& name, const std::string_view& script, int first_gpu,
                                 int num_gpus)
        {
            internal::check(::set_script_multigpu(_client, name.data(), name.size(), script.data(), script.size(),
                                                  first_gpu, num_gpus));
        }
        /// As set_script_multigpu, with the source read from the file `script_file`.
        void set_script_from_file_multigpu(const std::string& name, const std::string& script_file, int first_gpu,
                                           int num_gpus)
        {
            internal::check(::set_script_from_file_multigpu(_client, name.data(), name.size(), script_file.data(),
                                                            script_file.size(), first_gpu, num_gpus));
        }
        /// The source of script `name`; the memory belongs to the client (valid until the next get_script of
        /// `name` or the client's destruction).
        std::string_view get_script(const std::string& name)
        {
            const char* script = nullptr;
            size_t length = 0;
            internal::check(::get_script(_client, name.data(), name.size(), &script, &length));
            return std::string_view(script, length);
        }
        /// Runs model `name` on tensors `inputs` into tensors `outputs`; a failed run throws with the server's text.
        void run_model(const std::string& name, std::vector<std::string> inputs, std::vector<std::string> outputs)
        {
            _Names in(inputs), out(outputs);
            internal::check(::run_model(_client, name.data(), name.size(), in.ptrs(), in.lengths(), in.size(),
                                        out.ptrs(), out.lengths(), out.size()));
        }
        /// Runs the copy of model `name` on GPU `first_gpu + offset mod num_gpus`.
        void run_model_multigpu(const std::string& name, std::vector<std::string> inputs,
                                std::vector<std::string> outputs, int offset, int first_gpu, int num_gpus)
        {
            _Names in(inputs), out(outputs);
            internal::check(::run_model_multigpu(_client, name.data(), name.size(), in.ptrs(), in.lengths(),
                                                 in.size(), out.ptrs(), out.lengths(), out.size(), offset,
                                                 first_gpu, num_gpus));
        }
        /// Runs `function` of script `name` on tensors `inputs` into tensors `outputs`.
        void run_script(const std::string& name, const std::string& function, std::vector<std::string> inputs,
                        std::vector<std::string> outputs)
        {
            _Names in(inputs), out(outputs);
            internal::check(::run_script(_client, name.data(), name.size(), function.data(), function.size(),
                                         in.ptrs(), in.lengths(), in.size(), out.ptrs(), out.lengths(), out.size()));
        }
        /// Runs `function` of the copy of script `name` on GPU `first_gpu + offset mod num_gpus`.
        void run_script_multigpu(const std::string& name, const std::string& function,
                                 std::vector<std::string> inputs, std::vector<std::string> outputs, int offset,
                                 int first_gpu, int num_gpus)
        {
            _Names in(inputs), out(outputs);
            internal::check(::run_script_multigpu(_client, name.data(), name.size(), function.data(),
                                                  function.size(), in.ptrs(), in.lengths(), in.size(), out.ptrs(),
                                                  out.lengths(), out.size(), offset, first_gpu, num_gpus));
        }
        /// Deletes model `name`.
        void delete_model(const std::string& name)
        {
            internal::check(::delete_model(_client, name.data(), name.size()));
        }
        /// Deletes the copies set_model_multigpu stored.
        void delete_model_multigpu(const std::string& name, int first_gpu, int num_gpus)
        {
            internal::check(::delete_model_multigpu(_client, name.data(), name.size(), first_gpu, num_gpus));
        }
        /// Deletes script `name`.
        void delete_script(const std::string& name)
        {
            internal::check(::delete_script(_client, name.data(), name.size()));
        }
        /// Deletes the copies set_script_multigpu stored.
        void delete_script_multigpu(const std::string& name, int first_gpu, int num_gpus)
        {
            internal::check(::delete_script_multigpu(_client, name.data(), name.size(), first_gpu, num_gpus));
        }
        /// Whether model or script `name` exists.
        bool model_exists(const std::string& name)
        {
            bool exists = false;
            internal::check(::model_exists(_client, name.data(), name.size(), &exists));
            return exists;
        }
        /// Checks model or script `name` up to `num_tries` times, `poll_frequency_ms` apart; whether it appeared.
        bool poll_model(const std::string& name, int poll_frequency_ms, int num_tries)
        {
            bool exists = false;
            internal::check(
                ::poll_model(_client, name.data(), name.size(), poll_frequency_ms, num_tries, &exists));
            return exists;
        }
        /// Sets the server's MODEL_CHUNK_SIZE (bytes per piece in which models travel) on every shard.
        void set_model_chunk_size(int chunk_size)
        {
            internal::check(sr_set_model_chunk_size(_client, chunk_size));
        }

        /// Whether `key` exists (no prefix is applied).
        bool key_exists(const std::string& key)
        {
            bool exists = false;
            internal::check(::key_exists(_client, key.data(), key.size(), &exists));
            return exists;
        }
        /// Whether tensor `name` exists (with the tensor prefix applied).
        bool tensor_exists(const std::string& name)
        {
            bool exists = false;
            internal::check(::tensor_exists(_client, name.data(), name.size(), &exists));
            return exists;
        }
        /// Checks `key` up to `num_tries` times, `poll_frequency_ms` apart; whether it appeared.
        bool poll_key(const std::string& key, int poll_frequency_ms, int num_tries)
        {
            bool exists = false;
            internal::check(::poll_key(_client, key.data(), key.size(), poll_frequency_ms, num_tries, &exists));
            return exists;
        }
        /// Checks tensor `name` up to `num_tries` times, `poll_frequency_ms` apart; whether it appeared.
        bool poll_tensor(const std::string& name, int poll_frequency_ms, int num_tries)
        {
            bool exists = false;
            internal::check(
                ::poll_tensor(_client, name.data(), name.size(), poll_frequency_ms, num_tries, &exists));
            return exists;
        }

        /// Reads keys with the prefix of `source_id` (one of the SSKEYIN entries).
        void set_data_source(std::string source_id)
        {
            internal::check(::set_data_source(_client, source_id.data(), source_id.size()));
        }
        /// Whether tensor names get the ensemble prefix.
        void use_tensor_ensemble_prefix(bool use_prefix)
        {
            internal::check(::use_tensor_ensemble_prefix(_client, use_prefix));
        }
        /// Whether dataset names get the ensemble prefix.
        void use_dataset_ensemble_prefix(bool use_prefix)
        {
            internal::check(::use_dataset_ensemble_prefix(_client, use_prefix));
        }
        /// Whether model and script names get the ensemble prefix.
        void use_model_ensemble_prefix(bool use_prefix)
        {
            internal::check(::use_model_ensemble_prefix(_client, use_prefix));
        }
        /// Whether aggregation list names get the ensemble prefix.
        void use_list_ensemble_prefix(bool use_prefix)
        {
            internal::check(::use_list_ensemble_prefix(_client, use_prefix));
        }

        /// A description of the client, starting with "Client (<logger name>):".
        std::string to_string() const
        {
            const char* text = client_to_string(_client);
            return text != nullptr ? std::string(text) : std::string();
        }

        /// The C handle (`void*` of c_client.h); owned by this object.
        void* _get_c_handle() const noexcept { return _client; }
        /// Takes ownership of `c_client`, a handle made by the C API (e.g. sr_orchestrator_create_client), which
        /// this object frees; `logger_name` names the C++ logging context. Not part of upstream's API.
        static Client _adopt_c_handle(void* c_client, const std::string& logger_name = "default")
        {
            if (c_client == nullptr)
                throw ParameterException("Client::_adopt_c_handle: the C client handle is NULL");
            return Client(AdoptTag{}, c_client, logger_name);
        }

    protected:
        const void* _c_log_context() const noexcept override { return _client; }

    private:
        /// The string arrays an admin call returns (sr_get_db_node_info, ...), freed when this goes away.
        struct _StringArrays {
            std::vector<char**> arrays;
            size_t count = 0;
            explicit _StringArrays(size_t n) : arrays(n, nullptr) {}
            _StringArrays(const _StringArrays&) = delete;
            _StringArrays& operator=(const _StringArrays&) = delete;
            ~_StringArrays()
            {
                for (char**& a : arrays)
                    (void)sr_string_array_free(&a, count);
            }
            /// arrays[0][i] -> arrays[1][i].
            parsed_reply_map as_map() const
            {
                parsed_reply_map out;
                for (size_t i = 0; i < count; i++)
                    out[arrays[0][i]] = arrays[1][i];
                return out;
            }
        };
        /// Pointer and length arrays over a vector of names, as the C functions take them.
        class _Names
        {
            public:
                explicit _Names(const std::vector<std::string>& names)
                {
                    for (const std::string& n : names) {
                        _ptrs.push_back(n.data());
                        _lengths.push_back(n.size());
                    }
                }
                const char** ptrs() { return _ptrs.data(); }
                const size_t* lengths() const { return _lengths.data(); }
                size_t size() const { return _ptrs.size(); }

            private:
                std::vector<const char*> _ptrs;
                std::vector<size_t> _lengths;
        };
        /// Input and output names are for TF models only (upstream's C++ check).
        static void _check_model_names(const std::string& backend, const std::vector<std::string>& inputs,
                                       const std::vector<std::string>& outputs)
        {
            bool tf = backend.size() == 2 && std::toupper(static_cast<unsigned char>(backend[0])) == 'T' &&
                      std::toupper(static_cast<unsigned char>(backend[1])) == 'F';
            if (!tf && !inputs.empty())
                throw ParameterException("INPUTS in the model set command is only valid for TF models");
            if (!tf && !outputs.empty())
                throw ParameterException("OUTPUTS in the model set command is only valid for TF models");
        }
        /// Moves the handles of a C dataset array into DataSets and frees the array.
        static std::vector<DataSet> _adopt_datasets(void** array, size_t n)
        {
            std::vector<DataSet> out;
            try {
                out.reserve(n);
                for (size_t i = 0; i < n; i++) {
                    const char* name = nullptr;
                    size_t name_length = 0;
                    internal::check(sr_dataset_get_name(array[i], &name, &name_length));
                    DataSet dataset = DataSet::_adopt_c_handle(array[i], std::string(name, name_length));
                    array[i] = nullptr;
                    out.push_back(std::move(dataset));
                }
            }
            catch (...) {
                (void)sr_dataset_array_free(&array, n);
                throw;
            }
            (void)sr_dataset_array_free(&array, n);
            return out;
        }
        struct AdoptTag {};
        Client(AdoptTag, void* c_client, const std::string& logger_name) : SRObject(logger_name), _client(c_client) {}
        void _free() noexcept
        {
            if (_client != nullptr)
                (void)DeleteCClient(&_client);
            _client = nullptr;
        }

        void* _client = nullptr;
};

/// Writes client.to_string() to `stream`.
inline std::ostream& operator<<(std::ostream& stream, const Client& client)
{
    return stream << client.to_string();
}

} // namespace SmartRedis

#endif /* __cplusplus */
#endif /* SMARTREDIS_CLIENT_H */
