/*
 * configoptions.h: SmartRedis::ConfigOptions, configuration read from environment variables (optionally with
 * a "_<suffix>" per database), over the C functions of c_configoptions.h. C++ only.
 */
#ifndef SMARTREDIS_CONFIGOPTIONS_H
#define SMARTREDIS_CONFIGOPTIONS_H

#ifndef __cplusplus
#error "configoptions.h is C++ only; C code uses c_configoptions.h"
#endif

#include <cstdint>
#include <memory>
#include <string>

#include "srexception_cpp.h"
#include "c_configoptions.h"

namespace SmartRedis {

/// Configuration options of one database. Created only by create_from_environment; move-only; frees its handle.
class ConfigOptions
{
    public:
        /// Options read from the environment; a non-empty `db_suffix` reads "<VAR>_<db_suffix>" variables.
        static std::unique_ptr<ConfigOptions> create_from_environment(const std::string& db_suffix)
        {
            void* handle = nullptr;
            internal::check(create_configoptions_from_environment(db_suffix.data(), db_suffix.size(), &handle));
            return std::unique_ptr<ConfigOptions>(new ConfigOptions(handle));
        }
        /// As above; NULL means no suffix.
        static std::unique_ptr<ConfigOptions> create_from_environment(const char* db_suffix)
        {
            return create_from_environment(std::string(db_suffix != nullptr ? db_suffix : ""));
        }

        ConfigOptions(const ConfigOptions&) = delete;
        ConfigOptions& operator=(const ConfigOptions&) = delete;
        /// Takes over `other`'s handle.
        ConfigOptions(ConfigOptions&& other) noexcept : _handle(other._handle) { other._handle = nullptr; }
        /// Frees this object's handle and takes over `other`'s.
        ConfigOptions& operator=(ConfigOptions&& other) noexcept
        {
            if (this != &other) {
                _free();
                _handle = other._handle;
                other._handle = nullptr;
            }
            return *this;
        }
        /// Frees the C handle (and every string handed out by get_string_option).
        virtual ~ConfigOptions() { _free(); }

        /// The integer value of `option_name`. Throws KeyException if it is not set, TypeException if not an int.
        int64_t get_integer_option(const std::string& option_name)
        {
            int64_t result = 0;
            internal::check(::get_integer_option(_handle, option_name.data(), option_name.size(), &result));
            return result;
        }
        /// The string value of `option_name`. Throws KeyException if it is not set.
        std::string get_string_option(const std::string& option_name)
        {
            char* result = nullptr;
            size_t result_len = 0;
            internal::check(
                ::get_string_option(_handle, option_name.data(), option_name.size(), &result, &result_len));
            return result != nullptr ? std::string(result, result_len) : std::string();
        }
        /// Whether `option_name` has a value (from the environment or an override).
        bool is_configured(const std::string& option_name)
        {
            bool result = false;
            internal::check(::is_configured(_handle, option_name.data(), option_name.size(), &result));
            return result;
        }
        /// Sets `option_name` to `value` for this object only.
        void override_integer_option(const std::string& option_name, int64_t value)
        {
            internal::check(::override_integer_option(_handle, option_name.data(), option_name.size(), value));
        }
        /// Sets `option_name` to `value` for this object only.
        void override_string_option(const std::string& option_name, const std::string& value)
        {
            internal::check(::override_string_option(
                _handle, option_name.data(), option_name.size(), value.data(), value.size()));
        }

        /// The C handle (`void*` of c_configoptions.h); owned by this object.
        void* _get_c_handle() const noexcept { return _handle; }

    private:
        explicit ConfigOptions(void* handle) : _handle(handle) {}

        void _free() noexcept
        {
            if (_handle != nullptr)
                (void)sr_configoptions_free(&_handle);
            _handle = nullptr;
        }

        void* _handle = nullptr;
};

} // namespace SmartRedis

#endif /* SMARTREDIS_CONFIGOPTIONS_H */
