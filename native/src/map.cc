// NativeMap: a map's fd (our own duplicate) plus its sizes. Every key and value a script passes
// is checked against those sizes here, so a wrong Buffer becomes a TypeError, never a kernel
// write past the end of a buffer.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common.h"

namespace addon {
namespace {

bool IsPerCpu(enum bpf_map_type type) {
  return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

class NativeMap : public Napi::ObjectWrap<NativeMap> {
 public:
  static Napi::FunctionReference* constructor;

  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeMap", {
        InstanceMethod<&NativeMap::Lookup>("lookup"),
        InstanceMethod<&NativeMap::LookupInto>("lookupInto"),
        InstanceMethod<&NativeMap::BindLookup>("bindLookup"),
        InstanceMethod<&NativeMap::Update>("update"),
        InstanceMethod<&NativeMap::Delete>("delete"),
        InstanceMethod<&NativeMap::NextKey>("nextKey"),
        InstanceMethod<&NativeMap::LookupBatch>("lookupBatch"),
        InstanceMethod<&NativeMap::WriteAt>("writeAt"),
        InstanceMethod<&NativeMap::Close>("close"),
        InstanceAccessor<&NativeMap::Fd>("fd"),
        InstanceAccessor<&NativeMap::Closed>("closed"),
        InstanceAccessor<&NativeMap::ValueSize>("valueSize"),
        InstanceAccessor<&NativeMap::KeySize>("keySize"),
    });
  }

  explicit NativeMap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeMap>(info) {}
  ~NativeMap() override { Release(); }

  void Adopt(Napi::Env env, struct bpf_map* map) {
    name_ = bpf_map__name(map);
    type_ = bpf_map__type(map);
    key_size_ = bpf_map__key_size(map);
    value_size_ = bpf_map__value_size(map);
    flags_ = bpf_map__map_flags(map);
    max_entries_ = bpf_map__max_entries(map);
    if (IsPerCpu(type_)) {
      // The kernel copies one 8-byte-aligned slot per *possible* CPU.
      int cpus = libbpf_num_possible_cpus();
      if (cpus < 0) ThrowBpfError(env, "cpus", -cpus, "cannot count possible CPUs");
      value_size_ = ((value_size_ + 7) / 8) * 8 * static_cast<uint32_t>(cpus);
    }
    fd_ = fcntl(bpf_map__fd(map), F_DUPFD_CLOEXEC, 3);
    if (fd_ < 0) ThrowBpfError(env, "map", errno, "cannot open map '" + name_ + "'");
  }

  int Fd(Napi::Env env, uint32_t* type) {
    if (fd_ < 0) ThrowClosed(env, ("map '" + name_ + "'").c_str());
    if (type) *type = type_;
    return fd_;
  }

 private:
  std::string name_;
  enum bpf_map_type type_ = BPF_MAP_TYPE_UNSPEC;
  uint32_t key_size_ = 0, value_size_ = 0;
  uint64_t flags_ = 0;
  uint32_t max_entries_ = 0;
  int fd_ = -1;
  uint8_t* mapped_ = nullptr;  // the value memory, mapped on first writeAt()
  size_t mapped_size_ = 0;

  void Release() {
    if (mapped_) munmap(mapped_, mapped_size_);
    mapped_ = nullptr;
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  int LiveFd(Napi::Env env) { return Fd(env, nullptr); }

  // A key Buffer of exactly key_size bytes; maps without keys (queue, stack) take none.
  const void* KeyArg(const Napi::CallbackInfo& info, size_t index) {
    if (key_size_ == 0 && (info.Length() <= index || info[index].IsNull() || info[index].IsUndefined())) return nullptr;
    auto key = BufferArg(info, index, "key");
    if (key.Length() != key_size_) {
      ThrowTypeError(info.Env(), "key for map '" + name_ + "' must be " + std::to_string(key_size_) +
                                     " bytes, got " + std::to_string(key.Length()));
    }
    return key.Data();
  }

  uint8_t* ValueArg(const Napi::CallbackInfo& info, size_t index, const char* what) {
    auto value = BufferArg(info, index, what);
    if (value.Length() != value_size_) {
      ThrowTypeError(info.Env(), std::string(what) + " for map '" + name_ + "' must be " + std::to_string(value_size_) +
                                     " bytes, got " + std::to_string(value.Length()) +
                                     (IsPerCpu(type_) ? " (per-CPU maps take one 8-byte-aligned value per possible CPU)" : ""));
    }
    return value.Data();
  }

  [[noreturn]] void Fail(Napi::Env env, const char* op) {
    int err = errno;
    ThrowBpfError(env, "map", err, std::string(op) + " on map '" + name_ + "' failed");
  }

  // lookup(key) -> Buffer | null
  Napi::Value Lookup(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int fd = LiveFd(env);
    const void* key = KeyArg(info, 0);
    Napi::Buffer<uint8_t> value = Napi::Buffer<uint8_t>::New(env, value_size_);
    if (bpf_map_lookup_elem(fd, key, value.Data()) != 0) {
      if (errno == ENOENT) return env.Null();
      Fail(env, "lookup");
    }
    return value;
  }

  // lookupInto(key, value) -> boolean: the allocation-free lookup for hot loops.
  Napi::Value LookupInto(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int fd = LiveFd(env);
    const void* key = KeyArg(info, 0);
    uint8_t* value = ValueArg(info, 1, "value buffer");
    if (bpf_map_lookup_elem(fd, key, value) != 0) {
      if (errno == ENOENT) return Napi::Boolean::New(env, false);
      Fail(env, "lookup");
    }
    return Napi::Boolean::New(env, true);
  }

  // update(key, value, flags)
  void Update(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int fd = LiveFd(env);
    const void* key = KeyArg(info, 0);
    const uint8_t* value = ValueArg(info, 1, "value");
    uint64_t flags = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Int64Value() : static_cast<uint64_t>(BPF_ANY);
    if (bpf_map_update_elem(fd, key, value, flags) != 0) Fail(env, "update");
  }

  // delete(key) -> boolean (false when the key was absent)
  Napi::Value Delete(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int fd = LiveFd(env);
    const void* key = KeyArg(info, 0);
    if (bpf_map_delete_elem(fd, key) != 0) {
      if (errno == ENOENT) return Napi::Boolean::New(env, false);
      Fail(env, "delete");
    }
    return Napi::Boolean::New(env, true);
  }

  // nextKey(key | null) -> Buffer | null (null: no more keys)
  Napi::Value NextKey(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int fd = LiveFd(env);
    const void* key = info.Length() > 0 && !info[0].IsNull() && !info[0].IsUndefined() ? KeyArg(info, 0) : nullptr;
    Napi::Buffer<uint8_t> next = Napi::Buffer<uint8_t>::New(env, key_size_);
    if (bpf_map_get_next_key(fd, key, next.Data()) != 0) {
      if (errno == ENOENT) return env.Null();
      Fail(env, "get_next_key");
    }
    return next;
  }

  // bindLookup(key, value) -> () => boolean. The sizes are checked once, here; each call is
  // then one syscall on the same two buffers with no arguments to unpack. node-addon-api's
  // per-call wrapping costs about as much as the syscall's own overhead, so this is a raw
  // napi callback. The bound function holds references to both Buffers and to this map.
  struct Bound {
    NativeMap* map;
    uint8_t* key;
    uint8_t* value;
    napi_ref refs[3];
  };

  static napi_value CallBound(napi_env env, napi_callback_info info) {
    void* data = nullptr;
    napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &data);
    auto* bound = static_cast<Bound*>(data);
    napi_value result = nullptr;
    try {
      int fd = bound->map->LiveFd(Napi::Env(env));
      bool found = bpf_map_lookup_elem(fd, bound->key, bound->value) == 0;
      if (!found && errno != ENOENT) bound->map->Fail(Napi::Env(env), "lookup");
      napi_get_boolean(env, found, &result);
    } catch (const Napi::Error& e) {
      e.ThrowAsJavaScriptException();
      return nullptr;
    }
    return result;
  }

  Napi::Value BindLookup(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    LiveFd(env);
    const void* key = KeyArg(info, 0);
    uint8_t* value = ValueArg(info, 1, "value buffer");
    auto* bound = new Bound{this, static_cast<uint8_t*>(const_cast<void*>(key)), value, {}};
    napi_value holders[3] = {info[0], info[1], info.This()};
    for (int i = 0; i < 3; i++) napi_create_reference(env, holders[i], 1, &bound->refs[i]);
    napi_value fn;
    napi_create_function(env, "boundLookup", NAPI_AUTO_LENGTH, CallBound, bound, &fn);
    napi_add_finalizer(env, fn, bound, [](napi_env env, void* data, void*) {
      auto* b = static_cast<Bound*>(data);
      for (napi_ref ref : b->refs) napi_delete_reference(env, ref);
      delete b;
    }, nullptr, nullptr);
    return Napi::Value(env, fn);
  }

  // lookupBatch(chunk) -> { keys: Buffer, values: Buffer, count } for the whole map, read in
  // chunks with BPF_MAP_LOOKUP_BATCH. Throws ENOTSUPP/EINVAL where the map type lacks it.
  Napi::Value LookupBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int fd = LiveFd(env);
    uint32_t chunk = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 4096;
    if (chunk == 0) chunk = 4096;
    std::vector<uint8_t> keys, values;
    // The cursor is opaque: a u32 bucket index for hash maps, but a whole key for the generic
    // walk (arrays, LPM tries, ...), and a trie key can be 20 bytes: size it for either.
    std::vector<uint8_t> in_batch(std::max<size_t>(key_size_, 8)), out_batch(in_batch.size());
    bool first = true;
    uint32_t total = 0;
    // Room for the whole map at once, so growing never copies what was already read.
    size_t expected = std::min<size_t>(max_entries_, 1u << 20) + chunk;
    keys.reserve(expected * key_size_);
    values.reserve(expected * value_size_);
    for (;;) {
      keys.resize(static_cast<size_t>(total + chunk) * key_size_);
      values.resize(static_cast<size_t>(total + chunk) * value_size_);
      uint32_t count = chunk;
      int err = bpf_map_lookup_batch(fd, first ? nullptr : in_batch.data(), out_batch.data(),
                                     keys.data() + static_cast<size_t>(total) * key_size_,
                                     values.data() + static_cast<size_t>(total) * value_size_, &count, nullptr);
      int saved = errno;
      if (err != 0 && saved != ENOENT) {
        // A bucket larger than the chunk: retry with room for it.
        if (saved == ENOSPC && chunk < (1u << 20)) { chunk *= 2; continue; }
        errno = saved;
        Fail(env, "lookup_batch");
      }
      total += count;
      if (err != 0) break;  // ENOENT: the walk reached the end
      in_batch = out_batch;
      first = false;
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("keys", HandOver(env, std::move(keys), static_cast<size_t>(total) * key_size_));
    out.Set("values", HandOver(env, std::move(values), static_cast<size_t>(total) * value_size_));
    out.Set("count", total);
    return out;
  }

  // A Buffer over the vector's own memory (no copy of a dump that may be megabytes).
  static Napi::Buffer<uint8_t> HandOver(Napi::Env env, std::vector<uint8_t>&& bytes, size_t length) {
    if (length == 0) return Napi::Buffer<uint8_t>::New(env, 0);
    auto* owned = new std::vector<uint8_t>(std::move(bytes));
    return Napi::Buffer<uint8_t>::New(env, owned->data(), length,
                                      [](Napi::Env, uint8_t*, std::vector<uint8_t>* v) { delete v; }, owned);
  }

  // writeAt(offset, bytes): writes into the first value of a BPF_F_MMAPABLE array (how libbpf
  // creates .bss and .data) in place. Unlike update(), which replaces the whole value, this
  // leaves the other bytes alone, so setting one global cannot undo what a running program
  // just wrote to its neighbours (a counter in the same .bss, say).
  void WriteAt(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int fd = LiveFd(env);
    if (info.Length() < 1 || !info[0].IsNumber()) ThrowTypeError(env, "offset must be a number");
    int64_t offset = info[0].As<Napi::Number>().Int64Value();
    auto bytes = BufferArg(info, 1, "bytes");
    if (type_ != BPF_MAP_TYPE_ARRAY || !(flags_ & BPF_F_MMAPABLE)) {
      ThrowBpfError(env, "state", EINVAL, "map '" + name_ + "' cannot be written in place (not an mmapable array)");
    }
    if (offset < 0 || static_cast<uint64_t>(offset) + bytes.Length() > value_size_) {
      ThrowTypeError(env, "writeAt(" + std::to_string(offset) + ", " + std::to_string(bytes.Length()) +
                              " bytes) is outside map '" + name_ + "' value of " + std::to_string(value_size_) + " bytes");
    }
    if (!mapped_) {
      size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
      size_t size = (value_size_ + page - 1) / page * page;
      void* at = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (at == MAP_FAILED) ThrowBpfError(env, "map", errno, "cannot map the memory of map '" + name_ + "'");
      mapped_ = static_cast<uint8_t*>(at);
      mapped_size_ = size;
    }
    memcpy(mapped_ + offset, bytes.Data(), bytes.Length());
  }

  void Close(const Napi::CallbackInfo&) { Release(); }

  Napi::Value Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), LiveFd(info.Env())); }
  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), fd_ < 0); }
  Napi::Value ValueSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), value_size_); }
  Napi::Value KeySize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), key_size_); }
};

Napi::FunctionReference* NativeMap::constructor = nullptr;

}  // namespace

Napi::Object NewMap(Napi::Env env, struct bpf_map* map) {
  Napi::Object wrapper = NativeMap::constructor->New({});
  NativeMap::Unwrap(wrapper)->Adopt(env, map);
  return wrapper;
}

int MapFdOf(Napi::Env env, Napi::Value value, uint32_t* type) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(NativeMap::constructor->Value())) {
    ThrowTypeError(env, "expected a map handle");
  }
  return NativeMap::Unwrap(value.As<Napi::Object>())->Fd(env, type);
}

Napi::Object InitMap(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = NativeMap::Define(env);
  NativeMap::constructor = new Napi::FunctionReference(Napi::Persistent(cls));
  exports.Set("NativeMap", cls);
  return exports;
}

}  // namespace addon
