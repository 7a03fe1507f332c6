// caro_cache addon: exposes LruCore to JavaScript as a handle object.
//
// The hot functions are plain napi_callbacks created per handle with the
// instance as their data pointer: that is the cheapest Node-API call shape
// (no napi_unwrap, no node-addon-api wrapper objects). Cold functions use
// node-addon-api.
#include <napi.h>

#include <atomic>
#include <new>

#include "lru_core.h"

namespace {

using caro::LruCore;

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1
constexpr size_t kVictimDoubles = 2 * LruCore::kVictimBatch;

// Shared by a handle and each of its functions. A function can outlive its
// handle (`const touch = handle.touch`), so every one of them holds the
// instance and the last finalizer to run frees it.
struct Instance {
  LruCore* core;         // null once closed
  double* victims;       // data of the caller's Float64Array
  napi_ref victimStore;  // its ArrayBuffer, which keeps that data alive
  uint32_t holders;      // objects whose finalizer has not run yet
  size_t reported;       // slot storage last reported to V8
};

// Slot storage held by every core in the process; V8's own counters do not
// see malloc'd memory, so the benchmarks' memory figures read this.
std::atomic<int64_t> heldBytes{0};

// Tells V8 how much memory the core holds, so it weighs on when the GC runs
// (and so when finalizers free caches that were never closed). Storage changes
// only when it grows, is cleared or closed: the hot paths pay one comparison.
void Report(napi_env env, Instance* inst) {
  const size_t now = inst->core == nullptr ? 0 : inst->core->memoryBytes();
  if (now == inst->reported) return;
  const int64_t change =
      static_cast<int64_t>(now) - static_cast<int64_t>(inst->reported);
  int64_t adjusted;
  napi_adjust_external_memory(env, change, &adjusted);
  heldBytes += change;
  inst->reported = now;
}

napi_value MemoryBytes(napi_env env, napi_callback_info /*info*/) {
  napi_value result;
  napi_create_double(env, static_cast<double>(heldBytes.load()), &result);
  return result;
}

void Close(napi_env env, Instance* inst) {
  delete inst->core;
  inst->core = nullptr;
  Report(env, inst);
  inst->victims = nullptr;
  if (inst->victimStore != nullptr) {
    napi_delete_reference(env, inst->victimStore);
    inst->victimStore = nullptr;
  }
}

void ReleaseHolder(napi_env env, void* data, void* /*hint*/) {
  Instance* inst = static_cast<Instance*>(data);
  if (--inst->holders == 0) {
    Close(env, inst);
    delete inst;
  }
}

bool Hold(napi_env env, napi_value object, Instance* inst) {
  if (napi_add_finalizer(env, object, inst, ReleaseHolder, nullptr, nullptr) !=
      napi_ok) {
    return false;
  }
  ++inst->holders;
  return true;
}

// The instance of a hot call, or null with "cache is closed" thrown.
inline Instance* Open(napi_env env, napi_callback_info info, size_t* argc,
                      napi_value* argv) {
  void* data = nullptr;
  napi_get_cb_info(env, info, argc, argv, nullptr, &data);
  Instance* inst = static_cast<Instance*>(data);
  if (inst->core == nullptr) {
    napi_throw_error(env, nullptr, "cache is closed");
    return nullptr;
  }
  return inst;
}

// A stale or made-up slot would corrupt the list, so every slot from JS is
// checked: an int32 below slotCount() that is not on the free list.
inline bool GetSlot(napi_env env, const LruCore* core, napi_value value,
                    int32_t* slot) {
  double d;
  if (napi_get_value_double(env, value, &d) != napi_ok) {
    napi_throw_type_error(env, nullptr, "slot must be a number");
    return false;
  }
  if (!(d >= 0 && d < static_cast<double>(core->slotCount())) ||
      static_cast<double>(static_cast<int32_t>(d)) != d ||
      !core->isLive(static_cast<int32_t>(d))) {
    napi_throw_range_error(env, nullptr, "not a live slot");
    return false;
  }
  *slot = static_cast<int32_t>(d);
  return true;
}

inline bool GetBytes(napi_env env, napi_value value, uint64_t* bytes) {
  double d;
  if (napi_get_value_double(env, value, &d) != napi_ok) {
    napi_throw_type_error(env, nullptr, "bytes must be a number");
    return false;
  }
  // The range test comes first: converting NaN or an out-of-range double to
  // an integer is undefined behaviour.
  if (!(d >= 0 && d <= kMaxSafeInteger) ||
      static_cast<double>(static_cast<uint64_t>(d)) != d) {
    napi_throw_range_error(env, nullptr,
                           "bytes must be an integer in [0, 2^53 - 1]");
    return false;
  }
  *bytes = static_cast<uint64_t>(d);
  return true;
}

void ThrowOverflow(napi_env env) {
  napi_throw_range_error(env, nullptr, "total bytes would exceed 2^64 - 1");
}

napi_value Insert(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Instance* inst = Open(env, info, &argc, argv);
  uint64_t bytes;
  if (inst == nullptr || !GetBytes(env, argv[0], &bytes)) return nullptr;
  const int32_t slot = inst->core->insert(bytes);
  Report(env, inst);
  if (slot == LruCore::kErrOverflow) {
    ThrowOverflow(env);
    return nullptr;
  }
  if (slot < 0) {
    napi_throw_error(env, nullptr, "out of memory for cache slots");
    return nullptr;
  }
  napi_value result;
  napi_create_int32(env, slot, &result);
  return result;
}

napi_value Update(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  Instance* inst = Open(env, info, &argc, argv);
  int32_t slot;
  uint64_t bytes;
  if (inst == nullptr || !GetSlot(env, inst->core, argv[0], &slot) ||
      !GetBytes(env, argv[1], &bytes)) {
    return nullptr;
  }
  if (!inst->core->update(slot, bytes)) ThrowOverflow(env);
  return nullptr;
}

napi_value Touch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Instance* inst = Open(env, info, &argc, argv);
  int32_t slot;
  if (inst == nullptr || !GetSlot(env, inst->core, argv[0], &slot)) {
    return nullptr;
  }
  inst->core->touch(slot);
  return nullptr;
}

napi_value Remove(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Instance* inst = Open(env, info, &argc, argv);
  int32_t slot;
  if (inst == nullptr || !GetSlot(env, inst->core, argv[0], &slot)) {
    return nullptr;
  }
  inst->core->remove(slot);
  return nullptr;
}

// JS can detach an ArrayBuffer (transfer it), which frees or hands over its
// memory, so the cached pointer is only used after checking. Fetching the
// pointer afresh would cost ~30 ns more per evicting call. The check runs
// only when there are victims to write.
double* VictimBuffer(napi_env env, Instance* inst) {
  napi_value store = nullptr;
  bool detached = true;
  if (napi_get_reference_value(env, inst->victimStore, &store) != napi_ok ||
      store == nullptr ||
      napi_is_detached_arraybuffer(env, store, &detached) != napi_ok ||
      detached) {
    napi_throw_error(env, nullptr, "victim buffer was detached");
    return nullptr;
  }
  return inst->victims;
}

napi_value Evict(napi_env env, napi_callback_info info) {
  Instance* inst = Open(env, info, nullptr, nullptr);
  if (inst == nullptr) return nullptr;
  int32_t n = 0;
  if (inst->core->overLimit()) {
    double* victims = VictimBuffer(env, inst);
    if (victims == nullptr) return nullptr;
    n = inst->core->evict(victims);
  }
  napi_value result;
  napi_create_int32(env, n, &result);
  return result;
}

napi_value Bytes(napi_env env, napi_callback_info info) {
  Instance* inst = Open(env, info, nullptr, nullptr);
  if (inst == nullptr) return nullptr;
  napi_value result;
  napi_create_double(env, static_cast<double>(inst->core->bytes()), &result);
  return result;
}

napi_value SizeOf(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Instance* inst = Open(env, info, &argc, argv);
  int32_t slot;
  if (inst == nullptr || !GetSlot(env, inst->core, argv[0], &slot)) {
    return nullptr;
  }
  napi_value result;
  napi_create_double(env, static_cast<double>(inst->core->sizeOf(slot)),
                     &result);
  return result;
}

// An empty call of the same shape as touch(slot): the floor that the
// benchmarks put beside the native engine.
napi_value Noop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* data = nullptr;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  return nullptr;
}

// Cold paths.

LruCore* OpenCore(const Napi::CallbackInfo& info) {
  LruCore* core = static_cast<Instance*>(info.Data())->core;
  if (core == nullptr) {
    Napi::Error::New(info.Env(), "cache is closed").ThrowAsJavaScriptException();
  }
  return core;
}

Napi::Value Order(const Napi::CallbackInfo& info) {
  const LruCore* core = OpenCore(info);
  if (core == nullptr) return Napi::Value();
  Napi::Int32Array order = Napi::Int32Array::New(info.Env(), core->count());
  if (order.IsEmpty()) return Napi::Value();
  int32_t* out = order.Data();
  for (int32_t s = core->head(); s != LruCore::kNone; s = core->next(s)) {
    *out++ = s;
  }
  return order;
}

void Clear(const Napi::CallbackInfo& info) {
  LruCore* core = OpenCore(info);
  if (core != nullptr) {
    core->clear();
    Report(info.Env(), static_cast<Instance*>(info.Data()));
  }
}

void CloseHandle(const Napi::CallbackInfo& info) {
  Close(info.Env(), static_cast<Instance*>(info.Data()));
}

Napi::Value CreateFailed(Napi::Env env) {
  if (!env.IsExceptionPending()) {
    Napi::Error::New(env, "cannot create cache").ThrowAsJavaScriptException();
  }
  return Napi::Value();
}

Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "maxEntries and maxBytes must be numbers")
        .ThrowAsJavaScriptException();
    return Napi::Value();
  }
  const double maxEntries = info[0].As<Napi::Number>().DoubleValue();
  const double maxBytes = info[1].As<Napi::Number>().DoubleValue();
  if (!(maxEntries >= 0) || !(maxBytes >= 0)) {
    Napi::RangeError::New(env, "maxEntries and maxBytes must not be negative")
        .ThrowAsJavaScriptException();
    return Napi::Value();
  }
  // A resizable buffer could shrink under the cached pointer.
  Napi::Float64Array victims;
  if (info[2].IsTypedArray() &&
      info[2].As<Napi::TypedArray>().TypedArrayType() == napi_float64_array) {
    victims = info[2].As<Napi::Float64Array>();
  }
  if (victims.IsEmpty() || victims.ElementLength() < kVictimDoubles ||
      victims.ArrayBuffer().Get("resizable").ToBoolean()) {
    if (!env.IsExceptionPending()) {
      Napi::TypeError::New(env,
                           "victims must be a Float64Array of length 512 on a "
                           "fixed-length ArrayBuffer")
          .ThrowAsJavaScriptException();
    }
    return Napi::Value();
  }

  Napi::Object handle = Napi::Object::New(env);
  Instance* inst =
      new (std::nothrow) Instance{nullptr, victims.Data(), nullptr, 0, 0};
  if (inst != nullptr) {
    inst->core = new (std::nothrow) LruCore(maxEntries, maxBytes);
  }
  if (inst == nullptr || inst->core == nullptr ||
      napi_create_reference(env, victims.ArrayBuffer(), 1,
                            &inst->victimStore) != napi_ok ||
      !Hold(env, handle, inst)) {
    if (inst != nullptr) {
      Close(env, inst);
      delete inst;
    }
    return CreateFailed(env);
  }
  // From here on the handle's finalizer owns the instance.

  auto hot = [&](const char* name, napi_callback cb) {
    napi_value fn = nullptr;
    napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, inst, &fn);
    return fn;
  };
  // Enumerable but read-only, so the handle always calls its own functions.
  auto method = [](const char* name, napi_value fn) {
    return napi_property_descriptor{
        name, nullptr, nullptr, nullptr, nullptr, fn, napi_enumerable, nullptr};
  };
  napi_property_descriptor props[] = {
      method("insert", hot("insert", Insert)),
      method("update", hot("update", Update)),
      method("touch", hot("touch", Touch)),
      method("remove", hot("remove", Remove)),
      method("evict", hot("evict", Evict)),
      method("bytes", hot("bytes", Bytes)),
      method("sizeOf", hot("sizeOf", SizeOf)),
      method("order", Napi::Function::New<Order>(env, "order", inst)),
      method("clear", Napi::Function::New<Clear>(env, "clear", inst)),
      method("close", Napi::Function::New<CloseHandle>(env, "close", inst)),
  };
  constexpr size_t kProps = sizeof(props) / sizeof(props[0]);
  for (const napi_property_descriptor& prop : props) {
    if (prop.value == nullptr || !Hold(env, prop.value, inst)) {
      return CreateFailed(env);
    }
  }
  if (napi_define_properties(env, handle, kProps, props) != napi_ok) {
    return CreateFailed(env);
  }
  return handle;
}

// The hash arrives as a bare token from binding.gyp, since quotes do not
// survive the build tools' shells on every platform; it is quoted here.
#define CARO_QUOTE(x) #x
#define CARO_STRING(x) CARO_QUOTE(x)

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("sourceHash", Napi::String::New(env, CARO_STRING(CARO_SOURCE_HASH)));
  exports.Set("create", Napi::Function::New<Create>(env, "create"));
  exports.Set("victimBatch", Napi::Number::New(env, LruCore::kVictimBatch));
  napi_value noop;
  napi_create_function(env, "noop", NAPI_AUTO_LENGTH, Noop, nullptr, &noop);
  exports.Set("noop", noop);
  napi_value memoryBytes;
  napi_create_function(env, "memoryBytes", NAPI_AUTO_LENGTH, MemoryBytes,
                       nullptr, &memoryBytes);
  exports.Set("memoryBytes", memoryBytes);
  return exports;
}

}  // namespace

NODE_API_MODULE(caro_cache, Init)
