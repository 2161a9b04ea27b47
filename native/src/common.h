// Shared declarations for the addon: error construction and libbpf log capture.
#pragma once

#include <napi.h>
#include <string>

extern "C" {
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
}

namespace addon {

// Throws a BpfError built by the JS factory registered with setErrorFactory().
// `err` is a positive errno (or libbpf's LIBBPF_ERRNO__* code); `what` says what was attempted.
// `log` carries libbpf's own messages (including the verifier log) captured during the call.
[[noreturn]] void ThrowBpfError(Napi::Env env, const char* kind, int err, const std::string& what,
                                const std::string& log = "");

// TypeError for a value a script passed that can never be right (wrong type or size).
[[noreturn]] void ThrowTypeError(Napi::Env env, const std::string& message);

// Error for a call on a handle that was already closed.
[[noreturn]] void ThrowClosed(Napi::Env env, const char* what);

// Collects everything libbpf prints while alive (libbpf reports verifier logs and the
// reason for most failures only through its print callback). Not nestable.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  std::string Take();
};

void InitErrors(Napi::Env env, Napi::Object exports);

// Reads a required Buffer argument, or throws a TypeError naming it.
Napi::Buffer<uint8_t> BufferArg(const Napi::CallbackInfo& info, size_t index, const char* name);
std::string StringArg(const Napi::CallbackInfo& info, size_t index, const char* name);

Napi::Object InitObject(Napi::Env env, Napi::Object exports);
Napi::Object InitLink(Napi::Env env, Napi::Object exports);
Napi::Object InitMap(Napi::Env env, Napi::Object exports);
Napi::Object InitRingBuffer(Napi::Env env, Napi::Object exports);
Napi::Object InitTracePipe(Napi::Env env, Napi::Object exports);

// Creates a NativeLink wrapping a libbpf link (or a raw link fd when `link` is null).
Napi::Object NewLink(Napi::Env env, struct bpf_link* link, int fd, const std::string& description);

// Creates a NativeMap holding its own duplicate of the map's fd.
Napi::Object NewMap(Napi::Env env, struct bpf_map* map);

// The fd of an open NativeMap, for ring buffers built on it (throws if closed or not a map).
int MapFdOf(Napi::Env env, Napi::Value value, uint32_t* type);

}  // namespace addon
