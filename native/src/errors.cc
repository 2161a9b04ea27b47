// Errors the addon throws, and capture of libbpf's printed messages.
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common.h"

namespace addon {
namespace {

Napi::FunctionReference* error_factory = nullptr;
std::string* capture_buffer = nullptr;
bool debug_print = false;

int PrintToCapture(enum libbpf_print_level level, const char* format, va_list args) {
  if (debug_print) {
    va_list copy;
    va_copy(copy, args);
    vfprintf(stderr, format, copy);
    va_end(copy);
  }
  if (capture_buffer == nullptr || level == LIBBPF_DEBUG) return 0;
  char stack[1024];
  va_list copy;
  va_copy(copy, args);
  int n = vsnprintf(stack, sizeof stack, format, copy);
  va_end(copy);
  if (n < 0) return 0;
  if (static_cast<size_t>(n) < sizeof stack) {
    capture_buffer->append(stack, n);
  } else {  // verifier logs arrive as one long string
    std::string big(n + 1, '\0');
    vsnprintf(big.data(), big.size(), format, args);
    big.resize(n);
    capture_buffer->append(big);
  }
  return 0;
}

// libbpf's own codes (LIBBPF_ERRNO__*) have no errno name; give them short codes.
const char* ErrnoName(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case E2BIG: return "E2BIG";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case ERANGE: return "ERANGE";
    case ENOSYS: return "ENOSYS";
    case ENOTSUP: return "EOPNOTSUPP";
    case 524: return "ENOTSUPP";  // kernel-internal, leaks out of some bpf() commands
    case ENXIO: return "ENXIO";
    default:
      if (err >= __LIBBPF_ERRNO__START && err < __LIBBPF_ERRNO__END) return "ELIBBPF";
      return "EUNKNOWN";
  }
}

}  // namespace

LogCapture::LogCapture() {
  delete capture_buffer;
  capture_buffer = new std::string();
}

LogCapture::~LogCapture() {
  delete capture_buffer;
  capture_buffer = nullptr;
}

std::string LogCapture::Take() {
  std::string out = capture_buffer ? *capture_buffer : std::string();
  if (capture_buffer) capture_buffer->clear();
  return out;
}

void ThrowBpfError(Napi::Env env, const char* kind, int err, const std::string& what,
                   const std::string& log) {
  if (err < 0) err = -err;
  char reason[256];
  libbpf_strerror(err, reason, sizeof reason);
  // 524 is the kernel-internal ENOTSUPP, which strerror() does not know.
  if (err == 524) snprintf(reason, sizeof reason, "not supported for this program or map type (ENOTSUPP)");
  // A misuse we detected ourselves already says everything; an errno text would only confuse.
  bool ours = strcmp(kind, "state") == 0 || strcmp(kind, "not-found") == 0;
  std::string message = ours ? what : what + ": " + reason;
  if (error_factory == nullptr || error_factory->IsEmpty()) {
    throw Napi::Error::New(env, message);
  }
  Napi::Value made = error_factory->Call({
      Napi::String::New(env, kind),
      Napi::String::New(env, message),
      Napi::String::New(env, ErrnoName(err)),
      Napi::Number::New(env, err),
      Napi::String::New(env, log),
  });
  throw Napi::Error(env, made);
}

void ThrowTypeError(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}

void ThrowClosed(Napi::Env env, const char* what) {
  Napi::Error error = Napi::Error::New(env, std::string(what) + " is closed: create a new one instead of reusing it");
  error.Set("code", Napi::String::New(env, "ERR_CLOSED"));
  throw error;
}

Napi::Buffer<uint8_t> BufferArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info.Length() <= index || !info[index].IsBuffer()) {
    ThrowTypeError(info.Env(), std::string(name) + " must be a Buffer");
  }
  return info[index].As<Napi::Buffer<uint8_t>>();
}

std::string StringArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info.Length() <= index || !info[index].IsString()) {
    ThrowTypeError(info.Env(), std::string(name) + " must be a string");
  }
  return info[index].As<Napi::String>().Utf8Value();
}

void InitErrors(Napi::Env env, Napi::Object exports) {
  const char* debug = getenv("LIBBPF_DEBUG");
  debug_print = debug != nullptr && *debug != '\0' && strcmp(debug, "0") != 0;
  libbpf_set_print(PrintToCapture);
  exports.Set("setErrorFactory", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsFunction()) ThrowTypeError(info.Env(), "factory must be a function");
    delete error_factory;
    error_factory = new Napi::FunctionReference(Napi::Persistent(info[0].As<Napi::Function>()));
  }));
}

}  // namespace addon
