// FdWatcher: calls a JS function on the event-loop thread whenever an fd becomes readable.
// Shared by the ring buffer (libbpf's epoll fd) and the trace pipe: both must never block the
// loop or a thread-pool thread, so the kernel tells us when to read, and JS does the reading.
#pragma once

#include <uv.h>

#include "common.h"

namespace addon {

class FdWatcher {
 public:
  ~FdWatcher() { Stop(); }

  bool Active() const { return poll_ != nullptr; }

  // Starts (or re-targets) the watch; `callback(status)` runs on each readable event.
  // Returns 0 or a negative libuv error.
  int Start(Napi::Env env, int fd, Napi::Function callback) {
    callback_ = Napi::Persistent(callback);
    if (poll_) return 0;
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    auto* poll = new uv_poll_t;
    int err = uv_poll_init(loop, poll, fd);
    if (err != 0) {  // never initialised: plain delete is right
      delete poll;
      return err;
    }
    poll->data = this;
    poll_ = poll;
    err = uv_poll_start(poll_, UV_READABLE, &FdWatcher::OnReadable);
    if (err != 0) Stop();
    return err;
  }

  // Stops watching. The handle is what keeps Node's loop alive, so a stopped watcher lets the
  // process exit. libuv frees a handle only after uv_close's callback.
  void Stop() {
    if (poll_) {
      uv_poll_stop(poll_);
      poll_->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
  }

  // Stops and forgets the callback (when the owner closes).
  void Reset() {
    Stop();
    if (!callback_.IsEmpty()) callback_.Reset();
  }

 private:
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference callback_;

  static void OnReadable(uv_poll_t* handle, int status, int) {
    auto* self = static_cast<FdWatcher*>(handle->data);
    if (!self || self->callback_.IsEmpty()) return;
    Napi::Env env = self->callback_.Env();
    Napi::HandleScope scope(env);
    try {
      self->callback_.MakeCallback(env.Global(), {Napi::Number::New(env, status)});
    } catch (const Napi::Error& e) {
      // No JS frame is below us: hand the exception to Node's uncaughtException machinery.
      napi_fatal_exception(env, e.Value());
    }
  }
};

}  // namespace addon
