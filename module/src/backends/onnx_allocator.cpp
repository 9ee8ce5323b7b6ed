// The `Alloc` entry of the module's ONNX Runtime allocator (onnx_allocator.rs). ONNX Runtime's allocator interface
// has no error return: an allocator refuses by throwing a C++ exception, which ONNX Runtime catches and returns as
// the error status of the API call that allocated (CreateSessionFromArray, Run, ...). Rust cannot throw one, so this
// function takes the block from the Rust side and throws its refusal.

#include <cstddef>
#include <stdexcept>

extern "C" const char *smartredis_ai_onnx_alloc(size_t size, void **out);

extern "C" void *smartredis_ai_onnx_alloc_or_throw(void * /* this */, size_t size) {
    void *p = nullptr;
    if (const char *refused = smartredis_ai_onnx_alloc(size, &p)) {
        throw std::runtime_error(refused);
    }
    return p;
}
