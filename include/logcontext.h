/*
 * logcontext.h: SmartRedis::LogContext, a named logging context backed by a C log context handle.
 * In C this header is empty (upstream's c_logcontext.h includes it).
 */
#ifndef SMARTREDIS_LOGCONTEXT_H
#define SMARTREDIS_LOGCONTEXT_H

#ifdef __cplusplus

#include <string>

#include "srobject.h"
#include "srexception_cpp.h"
#include "c_logcontext.h"

namespace SmartRedis {

/// A logging context that is not a client: create one per component that logs. Move-only; frees its C handle.
class LogContext : public SRObject
{
    public:
        /// Creates the context (logs "New LogContext created" at LLDebug). Throws on failure.
        LogContext(const std::string& logging_name) : SRObject(logging_name)
        {
            internal::check(SmartRedisCLogContext(logging_name.data(), logging_name.size(), &_handle));
        }
        LogContext(const LogContext&) = delete;
        LogContext& operator=(const LogContext&) = delete;
        /// Takes over `other`'s handle; `other` logs by name afterwards.
        LogContext(LogContext&& other) noexcept : SRObject(std::move(other)), _handle(other._handle)
        {
            other._handle = nullptr;
        }
        /// Frees this context's handle and takes over `other`'s.
        LogContext& operator=(LogContext&& other) noexcept
        {
            if (this != &other) {
                _free();
                SRObject::operator=(std::move(other));
                _handle = other._handle;
                other._handle = nullptr;
            }
            return *this;
        }
        /// Frees the C handle.
        ~LogContext() override { _free(); }

        /// The C handle (`void*` for c_logger.h); owned by this object.
        void* _get_c_handle() const noexcept { return _handle; }

    protected:
        const void* _c_log_context() const noexcept override { return _handle; }

    private:
        void _free() noexcept
        {
            if (_handle != nullptr)
                (void)DeallocateLogContext(&_handle);
            _handle = nullptr;
        }

        void* _handle = nullptr;
};

} // namespace SmartRedis

#endif /* __cplusplus */
#endif /* SMARTREDIS_LOGCONTEXT_H */
