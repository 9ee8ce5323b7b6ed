// The TORCH backend shim: libtorch (TorchScript) behind a small C ABI, built as `redisai_torch.so` by the module's
// build.rs and opened with dlopen on first use (so a server that never uses TORCH never loads libtorch).
// Models are TorchScript archives (`torch::jit::load`); scripts are sets of free TorchScript functions compiled
// with RedisAI's resolver (`torch` = aten, `redis`, `redisAI`) and its custom operators `redis::execute`,
// `redis::asList` and `redisAI::model_execute`, which call back into the module (RedisAI
// `src/backends/libtorch_c/torch_c.cpp`, `torch_extensions/torch_redis.cpp`).
//
// Every function catches every exception; errors come back as malloc'd one-line strings (free with
// rai_torch_free). Tensors cross the ABI as RaiTensor views (DLPack code/bits, shape, row-major bytes); results are
// handed to a sink callback that copies them.

#include <torch/script.h>
#include <torch/csrc/jit/api/compilation_unit.h>
#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/csrc/jit/serialization/import.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <strings.h>
#include <vector>

extern "C" {

/// A tensor view: DLPack type code (0 int, 1 uint, 2 float, 6 bool) and bits, dims, contiguous bytes.
typedef struct {
  uint8_t code;
  uint8_t bits;
  int32_t ndim;
  const int64_t *shape;
  const void *data;
  size_t nbytes;
} RaiTensor;

/// Receives one result tensor (the callee copies what it needs before returning).
typedef void (*RaiSink)(void *ctx, const RaiTensor *t);
/// Appends bytes to a caller-owned buffer.
typedef void (*RaiAppend)(void *buf, const uint8_t *p, size_t n);
/// Runs a Redis command from a script (worker thread); writes the reply, serialized, through `append`:
/// 'n' nil | 'i' i64 | 's' u64 len + bytes | 'a' u64 count + items | 'e' u64 len + error text (little endian).
typedef void (*RaiRedisCall)(size_t argc, const char *const *argv, const size_t *lens, void *buf,
                             RaiAppend append);
/// Runs a stored model synchronously: 0 and outputs through `sink`, or nonzero and the error through `append`.
typedef int (*RaiModelCall)(const char *key, size_t keylen, size_t nin, const RaiTensor *in, void *sink_ctx,
                            RaiSink sink, void *err_buf, RaiAppend append);
}

namespace {

RaiRedisCall g_redis_call = nullptr;
RaiModelCall g_model_call = nullptr;
std::once_flag g_interop_once;

char *dup(const std::string &s) {
  char *p = static_cast<char *>(malloc(s.size() + 1));
  if (p) {
    memcpy(p, s.data(), s.size());
    p[s.size()] = 0;
  }
  return p;
}

std::string one_line(std::string s) {
  for (auto &c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

void set_err(char **err, const std::string &msg) {
  if (err) *err = dup(one_line(msg));
}

void append_string(void *buf, const uint8_t *p, size_t n) {
  static_cast<std::string *>(buf)->append(reinterpret_cast<const char *>(p), n);
}

bool scalar_type(uint8_t code, uint8_t bits, c10::ScalarType *out) {
  switch (code) {
  case 0:
    switch (bits) {
    case 8: *out = torch::kChar; return true;
    case 16: *out = torch::kShort; return true;
    case 32: *out = torch::kInt; return true;
    case 64: *out = torch::kLong; return true;
    }
    return false;
  case 1:
    if (bits == 8) { *out = torch::kByte; return true; }
    return false;
  case 2:
    switch (bits) {
    case 32: *out = torch::kFloat; return true;
    case 64: *out = torch::kDouble; return true;
    }
    return false;
  case 6:
    if (bits == 8) { *out = torch::kBool; return true; }
    return false;
  }
  return false;
}

bool dlpack_type(c10::ScalarType t, uint8_t *code, uint8_t *bits) {
  switch (t) {
  case torch::kChar: *code = 0; *bits = 8; return true;
  case torch::kShort: *code = 0; *bits = 16; return true;
  case torch::kInt: *code = 0; *bits = 32; return true;
  case torch::kLong: *code = 0; *bits = 64; return true;
  case torch::kByte: *code = 1; *bits = 8; return true;
  case torch::kFloat: *code = 2; *bits = 32; return true;
  case torch::kDouble: *code = 2; *bits = 64; return true;
  case torch::kBool: *code = 6; *bits = 8; return true;
  default: return false;
  }
}

/// A torch tensor over the view's bytes (`copy`: an owned copy, for code that may write into its inputs).
torch::Tensor to_torch(const RaiTensor &t, bool copy) {
  c10::ScalarType st;
  if (!scalar_type(t.code, t.bits, &st))
    throw std::runtime_error("Unsupported tensor type for the TORCH backend");
  std::vector<int64_t> dims(t.shape, t.shape + t.ndim);
  auto x = torch::from_blob(const_cast<void *>(t.data), dims, torch::TensorOptions().dtype(st));
  return copy ? x.clone() : x;
}

void emit(const torch::Tensor &t0, void *ctx, RaiSink sink) {
  torch::Tensor t = t0.to(torch::kCPU).contiguous();
  RaiTensor v;
  if (!dlpack_type(t.scalar_type(), &v.code, &v.bits))
    throw std::runtime_error(std::string("Unsupported output tensor type ") + c10::toString(t.scalar_type()));
  std::vector<int64_t> dims(t.sizes().begin(), t.sizes().end());
  v.ndim = static_cast<int32_t>(dims.size());
  v.shape = dims.data();
  v.data = t.data_ptr();
  v.nbytes = t.numel() * t.element_size();
  sink(ctx, &v);
}

/// Flattens a Tensor, a list or a tuple of tensors; false if anything else is in it.
bool flatten(const c10::IValue &v, std::vector<torch::Tensor> &out) {
  if (v.isTensor()) {
    out.push_back(v.toTensor());
    return true;
  }
  if (v.isTensorList()) {
    for (const auto &t : v.toTensorList()) out.push_back(t);
    return true;
  }
  if (v.isList()) {
    for (const auto &e : v.toListRef())
      if (!flatten(e, out)) return false;
    return true;
  }
  if (v.isTuple()) {
    for (const auto &e : v.toTupleRef().elements())
      if (!flatten(e, out)) return false;
    return true;
  }
  return false;
}

std::string what(const std::exception &e) {
  if (auto *c = dynamic_cast<const c10::Error *>(&e)) return c->what_without_backtrace();
  return e.what();
}

// --- RedisAI's TorchScript extensions --------------------------------------------------------------------------

struct Reader {
  const std::string &s;
  size_t at = 0;
  uint8_t byte() {
    if (at >= s.size()) throw std::runtime_error("truncated Redis reply");
    return static_cast<uint8_t>(s[at++]);
  }
  uint64_t u64() {
    if (at + 8 > s.size()) throw std::runtime_error("truncated Redis reply");
    uint64_t v;
    memcpy(&v, s.data() + at, 8);
    at += 8;
    return v;
  }
  std::string bytes() {
    uint64_t n = u64();
    if (at + n > s.size()) throw std::runtime_error("truncated Redis reply");
    std::string r = s.substr(at, n);
    at += n;
    return r;
  }
  c10::IValue value() {
    switch (byte()) {
    case 'n': return c10::IValue();
    case 'i': return c10::IValue(static_cast<int64_t>(u64()));
    case 's': return c10::IValue(bytes());
    case 'e': throw std::runtime_error("Redis command returned an error: " + bytes());
    case 'a': {
      uint64_t n = u64();
      c10::impl::GenericList l(c10::AnyType::get());
      for (uint64_t i = 0; i < n; i++) l.push_back(value());
      return c10::IValue(l);
    }
    }
    throw std::runtime_error("bad Redis reply encoding");
  }
};

c10::IValue redis_execute(const std::string &cmd, const std::vector<std::string> &args) {
  if (!g_redis_call) throw std::runtime_error("redis.execute is not available");
  std::vector<const char *> argv{cmd.c_str()};
  std::vector<size_t> lens{cmd.size()};
  for (const auto &a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  std::string reply;
  g_redis_call(argv.size(), argv.data(), lens.data(), &reply, append_string);
  Reader r{reply};
  return r.value();
}

c10::List<c10::IValue> redis_as_list(const c10::IValue &v) {
  if (!v.isList()) throw std::runtime_error("redis.asList: the value is not a list");
  return v.toList();
}

void collect(void *ctx, const RaiTensor *t) {
  static_cast<std::vector<torch::Tensor> *>(ctx)->push_back(to_torch(*t, true));
}

std::vector<torch::Tensor> model_execute(const std::string &key, const std::vector<torch::Tensor> &inputs,
                                         int64_t num_outputs) {
  if (!g_model_call) throw std::runtime_error("redisAI.model_execute is not available");
  std::vector<torch::Tensor> held;
  std::vector<std::vector<int64_t>> dims;
  std::vector<RaiTensor> views;
  held.reserve(inputs.size());
  dims.reserve(inputs.size());
  for (const auto &x : inputs) {
    held.push_back(x.to(torch::kCPU).contiguous());
    const auto &t = held.back();
    RaiTensor v;
    if (!dlpack_type(t.scalar_type(), &v.code, &v.bits))
      throw std::runtime_error("redisAI.model_execute: unsupported input tensor type");
    dims.emplace_back(t.sizes().begin(), t.sizes().end());
    v.ndim = static_cast<int32_t>(dims.back().size());
    v.shape = dims.back().data();
    v.data = t.data_ptr();
    v.nbytes = t.numel() * t.element_size();
    views.push_back(v);
  }
  std::vector<torch::Tensor> out;
  std::string err;
  if (g_model_call(key.data(), key.size(), views.size(), views.data(), &out, collect, &err, append_string) != 0)
    throw std::runtime_error(err);
  if (num_outputs >= 0 && static_cast<int64_t>(out.size()) != num_outputs)
    throw std::runtime_error("redisAI.model_execute: the model returned " + std::to_string(out.size()) +
                             " outputs, " + std::to_string(num_outputs) + " expected");
  return out;
}

auto registry = torch::RegisterOperators("redis::execute", &redis_execute)
                    .op("redis::asList", &redis_as_list)
                    .op("redisAI::model_execute", &model_execute);

struct RedisResolver : torch::jit::Resolver {
  std::shared_ptr<torch::jit::SugaredValue> resolveValue(const std::string &n, torch::jit::GraphFunction &,
                                                         const torch::jit::SourceRange &) override {
    if (!strcasecmp(n.c_str(), "torch")) return std::make_shared<torch::jit::BuiltinModule>("aten");
    if (!strcasecmp(n.c_str(), "redis")) return std::make_shared<torch::jit::BuiltinModule>("redis");
    if (!strcasecmp(n.c_str(), "redisAI")) return std::make_shared<torch::jit::BuiltinModule>("redisAI");
    return nullptr;
  }
  torch::jit::TypePtr resolveType(const std::string &, const torch::jit::SourceRange &) override {
    return nullptr;
  }
};

struct Model {
  torch::jit::Module module;
};

struct Script {
  std::shared_ptr<torch::jit::CompilationUnit> cu;
};

bool cpu_device(const char *device, char **err) {
  if (device && strncasecmp(device, "CPU", 3) != 0) {
    set_err(err, "ERR GPU devices are not supported by this build (CPU only)");
    return false;
  }
  return true;
}

void set_threads(int64_t intra, int64_t inter) {
  if (inter > 0) {
    std::call_once(g_interop_once, [&] {
      try {
        at::set_num_interop_threads(static_cast<int>(inter));
      } catch (...) {
        // Already started: libtorch allows setting it once, before any inter-op work.
      }
    });
  }
  if (intra > 0 && at::get_num_threads() != intra) at::set_num_threads(static_cast<int>(intra));
}

int run_outputs(const c10::IValue &result, void *sink_ctx, RaiSink sink, const std::string &fn, char **err) {
  std::vector<torch::Tensor> outs;
  if (!flatten(result, outs)) {
    set_err(err, "Function returned non-tensor values" + fn);
    return 1;
  }
  for (const auto &t : outs) emit(t, sink_ctx, sink);
  return 0;
}

} // namespace

extern "C" {

/// The libtorch version the shim was built with (a static string).
const char *rai_torch_version(void) { return TORCH_VERSION; }

/// Frees a string the shim returned.
void rai_torch_free(char *p) { free(p); }

/// Installs the callbacks behind `redis.execute` and `redisAI.model_execute`.
void rai_torch_set_callbacks(RaiRedisCall redis_call, RaiModelCall model_call) {
  g_redis_call = redis_call;
  g_model_call = model_call;
}

/// Loads a TorchScript archive; `names` receives the forward() argument names, NUL-separated, and `*noutputs`
/// the number of outputs (elements of a returned tuple, else 1).
void *rai_torch_model_load(const char *blob, size_t len, const char *device, int64_t intra, int64_t inter,
                           void *names, RaiAppend append, size_t *noutputs, char **err) {
  if (!cpu_device(device, err)) return nullptr;
  try {
    set_threads(intra, inter);
    std::istringstream in(std::string(blob, len), std::ios_base::binary);
    auto m = std::make_unique<Model>(Model{torch::jit::load(in, torch::kCPU)});
    m->module.eval();
    const auto &schema = m->module.get_method("forward").function().getSchema();
    const auto &args = schema.arguments();
    for (size_t i = 1; i < args.size(); i++) {
      const auto &n = args[i].name();
      append(names, reinterpret_cast<const uint8_t *>(n.c_str()), n.size() + 1);
    }
    size_t nout = 1;
    if (schema.returns().size() == 1) {
      if (auto tt = schema.returns()[0].type()->cast<c10::TupleType>()) nout = tt->elements().size();
    } else {
      nout = schema.returns().size();
    }
    *noutputs = nout;
    return m.release();
  } catch (const std::exception &e) {
    set_err(err, what(e));
    return nullptr;
  }
}

/// Runs forward() on the inputs (not copied); each output goes to `sink`. 0 on success.
int rai_torch_model_run(void *model, size_t nin, const RaiTensor *in, int64_t intra, void *sink_ctx, RaiSink sink,
                        char **err) {
  try {
    set_threads(intra, 0);
    auto *m = static_cast<Model *>(model);
    torch::NoGradGuard no_grad;
    std::vector<c10::IValue> inputs;
    for (size_t i = 0; i < nin; i++) inputs.emplace_back(to_torch(in[i], false));
    c10::IValue out = m->module.forward(inputs);
    return run_outputs(out, sink_ctx, sink, "forward", err);
  } catch (const std::exception &e) {
    set_err(err, what(e));
    return 1;
  }
}

void rai_torch_model_free(void *model) { delete static_cast<Model *>(model); }

/// Compiles a script (free functions) with RedisAI's resolver.
void *rai_torch_script_compile(const char *src, size_t len, const char *device, char **err) {
  if (!cpu_device(device, err)) return nullptr;
  try {
    auto s = std::make_unique<Script>();
    s->cu = std::make_shared<torch::jit::CompilationUnit>();
    s->cu->define(c10::nullopt, std::string(src, len), std::make_shared<RedisResolver>(), nullptr);
    return s.release();
  } catch (const std::exception &e) {
    set_err(err, what(e));
    return nullptr;
  }
}

/// 1 if the script defines function `fn`.
int rai_torch_script_has_function(void *script, const char *fn) {
  try {
    return static_cast<Script *>(script)->cu->find_function(fn) != nullptr;
  } catch (...) {
    return 0;
  }
}

/// Checks that `fn` is a valid entry point: `fn(tensors: List[Tensor], keys: List[str], args: List[str])`.
int rai_torch_script_check_entry(void *script, const char *fn, char **err) {
  try {
    auto *f = static_cast<Script *>(script)->cu->find_function(fn);
    std::string name(fn);
    if (!f) {
      set_err(err, "Function " + name + " does not exist in the given script.");
      return 1;
    }
    const auto &args = f->getSchema().arguments();
    if (args.size() != 3) {
      set_err(err, "Wrong number of inputs in function " + name + ". Expected 3 but was " +
                       std::to_string(args.size()));
      return 1;
    }
    auto tensors = c10::ListType::ofTensors();
    auto strings = c10::ListType::ofStrings();
    if (!args[0].type()->isSubtypeOf(*tensors) || !args[1].type()->isSubtypeOf(*strings) ||
        !args[2].type()->isSubtypeOf(*strings)) {
      set_err(err, "Wrong inputs type in function " + name + ". Expected signature similar to: def " + name +
                       "(tensors: List[Tensor], keys: List[str], args: List[str])");
      return 1;
    }
    return 0;
  } catch (const std::exception &e) {
    set_err(err, what(e));
    return 1;
  }
}

/// Runs script function `fn`: as an entry point (`entry` = 1: tensors, keys, args) or RedisAI's best-effort
/// positional call (a Tensor parameter takes one input, a trailing List[Tensor] takes the rest). Inputs are
/// copied. Each output goes to `sink`. 0 on success.
int rai_torch_script_run(void *script, const char *fn, int entry, size_t nin, const RaiTensor *in, size_t nkeys,
                         const char *const *keys, const size_t *keylens, size_t nargs, const char *const *args,
                         const size_t *arglens, void *sink_ctx, RaiSink sink, char **err) {
  std::string name(fn);
  try {
    auto *s = static_cast<Script *>(script);
    auto *f = s->cu->find_function(name);
    if (!f) {
      set_err(err, "Function does not exist: " + name);
      return 1;
    }
    torch::NoGradGuard no_grad;
    std::vector<c10::IValue> stack;
    if (entry) {
      std::vector<torch::Tensor> ts;
      for (size_t i = 0; i < nin; i++) ts.push_back(to_torch(in[i], true));
      std::vector<std::string> ks, as;
      for (size_t i = 0; i < nkeys; i++) ks.emplace_back(keys[i], keylens[i]);
      for (size_t i = 0; i < nargs; i++) as.emplace_back(args[i], arglens[i]);
      stack.emplace_back(ts);
      stack.emplace_back(ks);
      stack.emplace_back(as);
    } else {
      const auto &params = f->getSchema().arguments();
      size_t next = 0;
      for (size_t p = 0; p < params.size(); p++) {
        const auto &ty = params[p].type();
        if (ty->kind() == c10::TypeKind::TensorType) {
          if (next >= nin) {
            set_err(err, "Wrong number of inputs provided to function: " + name);
            return 1;
          }
          stack.emplace_back(to_torch(in[next++], true));
        } else if (ty->isSubtypeOf(*c10::ListType::ofTensors()) && p + 1 == params.size()) {
          std::vector<torch::Tensor> rest;
          while (next < nin) rest.push_back(to_torch(in[next++], true));
          stack.emplace_back(rest);
        } else {
          set_err(err, "Unsupported input type in function definition: " + name);
          return 1;
        }
      }
      if (next != nin) {
        set_err(err, "Wrong number of inputs provided to function: " + name);
        return 1;
      }
    }
    c10::IValue out = (*f)(stack);
    return run_outputs(out, sink_ctx, sink, name, err);
  } catch (const std::exception &e) {
    set_err(err, what(e));
    return 1;
  }
}

void rai_torch_script_free(void *script) { delete static_cast<Script *>(script); }

/// For tests and tools: a TorchScript archive of a module with the given named float parameters and methods
/// (TorchScript source using `self.<name>`), written through `append`. 0 on success.
int rai_torch_build_module(const char *src, size_t len, size_t nparams, const char *const *names,
                           const RaiTensor *params, void *buf, RaiAppend append, char **err) {
  try {
    torch::jit::Module m("__torch__.Net");
    for (size_t i = 0; i < nparams; i++) m.register_parameter(names[i], to_torch(params[i], true), false);
    m.define(std::string(src, len));
    std::ostringstream out(std::ios_base::binary);
    m.save(out);
    const std::string bytes = out.str();
    append(buf, reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
    return 0;
  } catch (const std::exception &e) {
    set_err(err, what(e));
    return 1;
  }
}

} // extern "C"
