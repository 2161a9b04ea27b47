// NativeTracePipe: reads bpf_printk output from tracefs's trace_pipe without ever blocking.
// The fd is O_NONBLOCK and watched with uv_poll on the loop thread; a blocking read on the
// thread pool would hold a pool thread for as long as the pipe stays quiet.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common.h"
#include "fd_watcher.h"

namespace addon {
namespace {

const char* const kTracePipePaths[] = {"/sys/kernel/tracing/trace_pipe", "/sys/kernel/debug/tracing/trace_pipe"};

class NativeTracePipe : public Napi::ObjectWrap<NativeTracePipe> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeTracePipe", {
        InstanceMethod<&NativeTracePipe::Start>("start"),
        InstanceMethod<&NativeTracePipe::Read>("read"),
        InstanceMethod<&NativeTracePipe::Close>("close"),
        InstanceAccessor<&NativeTracePipe::Closed>("closed"),
        InstanceAccessor<&NativeTracePipe::Path>("path"),
    });
  }

  // new NativeTracePipe(path?)
  explicit NativeTracePipe(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeTracePipe>(info) {
    Napi::Env env = info.Env();
    int err = ENOENT;
    if (info.Length() > 0 && info[0].IsString()) {
      path_ = info[0].As<Napi::String>().Utf8Value();
      fd_ = open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd_ < 0) err = errno;
    } else {
      for (const char* path : kTracePipePaths) {
        fd_ = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd_ >= 0) { path_ = path; break; }
        if (errno != ENOENT) err = errno;
      }
    }
    if (fd_ < 0) {
      ThrowBpfError(env, "tracepipe", err, err == ENOENT
          ? "cannot open trace_pipe (tracefs not mounted? run: mount -t tracefs nodev /sys/kernel/tracing)"
          : "cannot open trace_pipe");
    }
  }

  ~NativeTracePipe() override { Release(); }

 private:
  int fd_ = -1;
  std::string path_;
  FdWatcher watcher_;

  void Release() {
    watcher_.Reset();
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  void Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) ThrowClosed(env, "trace pipe");
    if (info.Length() < 1 || !info[0].IsFunction()) ThrowTypeError(env, "start() needs a callback");
    int err = watcher_.Start(env, fd_, info[0].As<Napi::Function>());
    if (err != 0) ThrowBpfError(env, "tracepipe", -err, "cannot watch trace_pipe");
  }

  // read() -> string: whatever is available now ("" when nothing is).
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) ThrowClosed(env, "trace pipe");
    std::string text;
    char buf[16384];
    for (int rounds = 0; rounds < 64; rounds++) {  // bounded: a busy pipe must not hold the loop
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n > 0) { text.append(buf, static_cast<size_t>(n)); continue; }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN) ThrowBpfError(env, "tracepipe", errno, "reading trace_pipe failed");
      break;
    }
    return Napi::String::New(env, text);
  }

  void Close(const Napi::CallbackInfo&) { Release(); }
  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), fd_ < 0); }
  Napi::Value Path(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), path_); }
};

}  // namespace

Napi::Object InitTracePipe(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeTracePipe", NativeTracePipe::Define(env));
  return exports;
}

}  // namespace addon
