// caro_cache addon: exposes LruCore to JavaScript.
//
// A cache is an External holding its Instance; every function takes it as
// the first argument. The functions are created once, in Init, and shared by
// all caches, so a call site in JavaScript always sees the same function and
// V8 keeps it on its fast path (per-cache functions made every call
// megamorphic as soon as a process had two caches: +14 ns each). They are
// plain napi_callbacks; node-addon-api serves where it is simpler and the
// cost does not matter (create, and building order's array).
#include <napi.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <new>

#include "lru_core.h"

namespace {

using caro::LruCore;

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1

struct Instance {
  LruCore* core;       // null once closed
  int32_t* queue;      // data of the caller's Int32Array of oldest slots
  napi_ref queueStore;  // its ArrayBuffer, which keeps that data alive
  int32_t* ops;        // data of the caller's Int32Array of buffered operations
  napi_ref opStore;
  size_t reported;     // slot storage last reported to V8
};

// Slot storage held by every core in the process; V8's own counters do not
// see malloc'd memory, so the benchmarks' memory figures read this.
std::atomic<int64_t> heldBytes{0};

// Throws an Error naming the Node-API call that failed (the text of the call up
// to its parenthesis) with Node's reason, unless the call left an exception of
// its own pending, such as a getter's: that one is what JS should see. The
// statuses of the throws themselves go unchecked: a throw fails only when an
// exception is already pending or the environment is going away.
void ThrowFailed(napi_env env, const char* call) {
  // The reason is read first: every other call resets it.
  const napi_extended_error_info* info = nullptr;
  const char* reason = napi_get_last_error_info(env, &info) == napi_ok &&
                               info->error_message != nullptr
                           ? info->error_message
                           : "unknown error";
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
  char message[160];
  std::snprintf(message, sizeof message, "%.*s failed: %s",
                static_cast<int>(std::strcspn(call, "(")), call, reason);
  napi_throw_error(env, nullptr, message);
}

// Checks the status of a Node-API call: on failure, throws (ThrowFailed) and
// returns `failed` from the calling function. CARO_CHECK returns nullptr, which
// a callback hands to JS as undefined. On the hot paths it costs one branch
// that is never taken.
#define CARO_CHECK_OR(call, failed) \
  do {                              \
    if ((call) != napi_ok) {        \
      ThrowFailed(env, #call);      \
      return failed;                \
    }                               \
  } while (0)
#define CARO_CHECK(call) CARO_CHECK_OR(call, nullptr)

// Tells V8 how much memory the core holds, so it weighs on when the GC runs
// (and so when finalizers free caches that were never closed). Storage changes
// only when it grows, is cleared or closed: the hot paths pay one comparison.
// False, with an exception thrown, if V8 could not be told; the change is then
// reported by the next call.
bool Report(napi_env env, Instance* inst) {
  const size_t now = inst->core == nullptr ? 0 : inst->core->memoryBytes();
  if (now == inst->reported) return true;
  const int64_t change =
      static_cast<int64_t>(now) - static_cast<int64_t>(inst->reported);
  int64_t adjusted;
  CARO_CHECK_OR(napi_adjust_external_memory(env, change, &adjusted), false);
  heldBytes += change;
  inst->reported = now;
  return true;
}

napi_value MemoryBytes(napi_env env, napi_callback_info /*info*/) {
  napi_value result;
  CARO_CHECK(napi_create_double(env, static_cast<double>(heldBytes.load()),
                                &result));
  return result;
}

// A reference that could not be deleted is kept, for a second close to retry.
bool DeleteRef(napi_env env, napi_ref* ref) {
  if (*ref == nullptr) return true;
  CARO_CHECK_OR(napi_delete_reference(env, *ref), false);
  *ref = nullptr;
  return true;
}

// Every step runs even if one before it failed (and threw), so that nothing
// is left held that could be freed.
void Close(napi_env env, Instance* inst) {
  delete inst->core;
  inst->core = nullptr;
  Report(env, inst);
  inst->queue = nullptr;
  inst->ops = nullptr;
  DeleteRef(env, &inst->queueStore);
  DeleteRef(env, &inst->opStore);
}

void Finalize(napi_env env, void* data, void* /*hint*/) {
  Instance* inst = static_cast<Instance*>(data);
  // What Close throws here reaches the process as an uncaught exception.
  Close(env, inst);
  delete inst;
}

// The instance of a call whose first argument is a cache handle, with the
// arguments in argv; null with an exception thrown if it is not one, or closed,
// or if a call fails.
template <size_t N>
inline Instance* Args(napi_env env, napi_callback_info info,
                      napi_value (&argv)[N], bool mustBeOpen = true) {
  size_t argc = N;
  CARO_CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  void* data = nullptr;
  if (napi_get_value_external(env, argv[0], &data) != napi_ok) {
    napi_throw_type_error(env, nullptr, "handle must be a cache handle");
    return nullptr;
  }
  Instance* inst = static_cast<Instance*>(data);
  if (mustBeOpen && inst->core == nullptr) {
    napi_throw_error(env, nullptr, "cache is closed");
    return nullptr;
  }
  return inst;
}

// JS can detach an ArrayBuffer (transfer it), which frees or hands over its
// memory, so a cached data pointer is only used after checking. Fetching the
// pointer afresh would cost ~30 ns more per call; the check runs only when
// there are operations to read or slots to write.
bool Attached(napi_env env, napi_ref store) {
  napi_value buffer = nullptr;
  bool detached = true;
  CARO_CHECK_OR(napi_get_reference_value(env, store, &buffer), false);
  if (buffer != nullptr) {
    CARO_CHECK_OR(napi_is_detached_arraybuffer(env, buffer, &detached), false);
  }
  if (detached) {
    napi_throw_error(env, nullptr, "a buffer shared with the cache was detached");
    return false;
  }
  return true;
}

// Reads the operation count of applyOps and refill.
bool GetOpCount(napi_env env, napi_value value, int32_t* n) {
  if (napi_get_value_int32(env, value, n) != napi_ok || *n < 0 ||
      *n > LruCore::kOpBatch) {
    napi_throw_range_error(env, nullptr, "n must be an integer in [0, 256]");
    return false;
  }
  return true;
}

// Applies the first n operations of the ops array, in order (see
// LruCore::applyOps). A bad one throws, the ones before it applied: the
// JavaScript side never sends one, and stopping keeps the order intact.
bool ApplyNow(napi_env env, Instance* inst, int32_t n) {
  if (n == 0) return true;
  if (!Attached(env, inst->opStore)) return false;
  if (inst->core->applyOps(inst->ops, n) != n) {
    napi_throw_range_error(env, nullptr, "not a live slot");
    return false;
  }
  return true;
}

// reserve(handle, slots): room for slots below `slots`, so that no operation
// has to allocate (and none can fail for memory when it is applied later).
napi_value Reserve(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Instance* inst = Args(env, info, argv);
  if (inst == nullptr) return nullptr;
  double slots;
  if (napi_get_value_double(env, argv[1], &slots) != napi_ok ||
      !(slots >= 0 && slots <= kMaxSafeInteger)) {
    napi_throw_range_error(env, nullptr, "slots must be a number in [0, 2^53 - 1]");
    return nullptr;
  }
  if (!inst->core->reserve(static_cast<int64_t>(slots))) {
    napi_throw_error(env, nullptr, "out of memory for cache slots");
    return nullptr;
  }
  Report(env, inst);
  return nullptr;
}

// applyOps(handle, n): applies the first n buffered operations.
napi_value ApplyOps(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Instance* inst = Args(env, info, argv);
  int32_t n;
  if (inst == nullptr || !GetOpCount(env, argv[1], &n)) return nullptr;
  ApplyNow(env, inst, n);
  return nullptr;
}

// refill(handle, n) -> count: applies the first n buffered operations, then
// writes the least recent slots, oldest first, to the queue array, at most a
// victim batch of them: one crossing for both.
napi_value Refill(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Instance* inst = Args(env, info, argv);
  int32_t n;
  if (inst == nullptr || !GetOpCount(env, argv[1], &n) ||
      !ApplyNow(env, inst, n) || !Attached(env, inst->queueStore)) {
    return nullptr;
  }
  napi_value result;
  CARO_CHECK(napi_create_int32(
      env, inst->core->oldest(inst->queue, LruCore::kVictimBatch), &result));
  return result;
}

// An empty call of the shape touch(slot) once had: the floor that the
// benchmarks put beside the native engine.
napi_value Noop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CARO_CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  return nullptr;
}

napi_value Order(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Instance* inst = Args(env, info, argv);
  if (inst == nullptr) return nullptr;
  const LruCore* core = inst->core;
  Napi::Int32Array order = Napi::Int32Array::New(env, core->count());
  if (order.IsEmpty()) return nullptr;
  int32_t* out = order.Data();
  for (int32_t s = core->head(); s != LruCore::kNone; s = core->next(s)) {
    *out++ = s;
  }
  return order;
}

napi_value Clear(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Instance* inst = Args(env, info, argv);
  if (inst == nullptr) return nullptr;
  inst->core->clear();
  Report(env, inst);
  return nullptr;
}

// Frees the slot storage now rather than at garbage collection; a second
// close does nothing.
napi_value CloseHandle(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Instance* inst = Args(env, info, argv, false);
  if (inst != nullptr) Close(env, inst);
  return nullptr;
}

// node-addon-api turns a failed call into a pending exception and an empty or
// false result, and throwing a second exception over one aborts the process:
// the errors thrown where node-addon-api serves go through here.
template <typename Error>
void ThrowOnce(Napi::Env env, const char* message) {
  if (!env.IsExceptionPending()) {
    Error::New(env, message).ThrowAsJavaScriptException();
  }
}

// A typed array of `type` with at least `length` elements on a fixed-length
// ArrayBuffer (a resizable one could shrink under the cached pointer), or an
// empty one with a TypeError thrown.
template <typename Array>
Array SharedArray(Napi::Env env, Napi::Value value, napi_typedarray_type type,
                  size_t length, const char* what) {
  Array array;
  if (value.IsTypedArray() &&
      value.As<Napi::TypedArray>().TypedArrayType() == type) {
    array = value.As<Array>();
  }
  bool resizable = false;
  if (!array.IsEmpty() && array.ElementLength() >= length) {
    // Read in C: where a getter throws, node-addon-api hands back an empty
    // value, and a call on an empty value aborts the process.
    napi_value buffer = array.ArrayBuffer();
    napi_value flag;
    CARO_CHECK_OR(napi_get_named_property(env, buffer, "resizable", &flag),
                  Array());
    CARO_CHECK_OR(napi_coerce_to_bool(env, flag, &flag), Array());
    CARO_CHECK_OR(napi_get_value_bool(env, flag, &resizable), Array());
  }
  if (array.IsEmpty() || array.ElementLength() < length || resizable) {
    ThrowOnce<Napi::TypeError>(env, what);
    return Array();
  }
  return array;
}

// Holds the instance's buffers and wraps it in a handle, whose finalizer frees
// it. False, with an exception thrown, if a call fails.
bool Wrap(napi_env env, Instance* inst, napi_value queueBuffer,
          napi_value opBuffer, napi_value* handle) {
  CARO_CHECK_OR(
      napi_create_reference(env, queueBuffer, 1, &inst->queueStore), false);
  CARO_CHECK_OR(napi_create_reference(env, opBuffer, 1, &inst->opStore),
                false);
  CARO_CHECK_OR(napi_create_external(env, inst, Finalize, nullptr, handle),
                false);
  return true;
}

// create(queue, ops) -> a cache handle.
Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Int32Array queue = SharedArray<Napi::Int32Array>(
      env, info[0], napi_int32_array, LruCore::kVictimBatch,
      "queue must be an Int32Array of length 256 on a fixed-length "
      "ArrayBuffer");
  if (queue.IsEmpty()) return Napi::Value();
  Napi::Int32Array ops = SharedArray<Napi::Int32Array>(
      env, info[1], napi_int32_array, LruCore::kOpBatch,
      "ops must be an Int32Array of length 256 on a fixed-length "
      "ArrayBuffer");
  if (ops.IsEmpty()) return Napi::Value();

  Instance* inst = new (std::nothrow)
      Instance{nullptr, queue.Data(), nullptr, ops.Data(), nullptr, 0};
  if (inst != nullptr) inst->core = new (std::nothrow) LruCore();
  napi_value handle = nullptr;
  if (inst == nullptr || inst->core == nullptr ||
      !Wrap(env, inst, queue.ArrayBuffer(), ops.ArrayBuffer(), &handle)) {
    if (inst != nullptr) {
      Close(env, inst);
      delete inst;
    }
    ThrowOnce<Napi::Error>(env, "cannot create cache");
    return Napi::Value();
  }
  return Napi::Value(env, handle);
}

// The hash arrives as a bare token from binding.gyp, since quotes do not
// survive the build tools' shells on every platform; it is quoted here.
#define CARO_QUOTE(x) #x
#define CARO_STRING(x) CARO_QUOTE(x)

// On a failure Init returns no exports and leaves an exception pending, which
// fails the require. node-addon-api's Set throws and returns false if it
// failed, or if the call that made its value did (that value is then empty).
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  if (!exports.Set("sourceHash",
                   Napi::String::New(env, CARO_STRING(CARO_SOURCE_HASH))) ||
      !exports.Set("victimBatch",
                   Napi::Number::New(env, LruCore::kVictimBatch)) ||
      !exports.Set("opBatch", Napi::Number::New(env, LruCore::kOpBatch)) ||
      !exports.Set("create", Napi::Function::New<Create>(env, "create"))) {
    return Napi::Object();
  }
  const struct {
    const char* name;
    napi_callback cb;
  } functions[] = {
      {"reserve", Reserve},   {"applyOps", ApplyOps},
      {"refill", Refill},     {"order", Order},
      {"clear", Clear},       {"close", CloseHandle},
      {"noop", Noop},         {"memoryBytes", MemoryBytes},
  };
  for (const auto& f : functions) {
    napi_value fn;
    CARO_CHECK_OR(napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb,
                                       nullptr, &fn),
                  Napi::Object());
    if (!exports.Set(f.name, fn)) return Napi::Object();
  }
  return exports;
}

}  // namespace

NODE_API_MODULE(caro_cache, Init)
