// NativeRingBuffer: consumes a BPF ring buffer on the event loop thread, never blocking it.
// libbpf's epoll fd is watched with uv_poll; when it is readable we call back into JS, and JS
// calls drain(), which copies up to `max` records into one Buffer:
//   [u32 length][record bytes][pad to 4] ... repeated
// One Buffer per drain (not one JS call per record) is what keeps up with a flood; the cap
// keeps one drain from holding the loop while the producer keeps producing.
#include <cerrno>
#include <cstring>
#include <vector>

#include "common.h"
#include "fd_watcher.h"

namespace addon {
namespace {

constexpr int kStopDraining = -ECANCELED;

class NativeRingBuffer : public Napi::ObjectWrap<NativeRingBuffer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeRingBuffer", {
        InstanceMethod<&NativeRingBuffer::Start>("start"),
        InstanceMethod<&NativeRingBuffer::Stop>("stop"),
        InstanceMethod<&NativeRingBuffer::Drain>("drain"),
        InstanceMethod<&NativeRingBuffer::Close>("close"),
        InstanceAccessor<&NativeRingBuffer::Closed>("closed"),
    });
  }

  // new NativeRingBuffer(map: NativeMap)
  explicit NativeRingBuffer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeRingBuffer>(info) {
    Napi::Env env = info.Env();
    uint32_t type = 0;
    int fd = MapFdOf(env, info.Length() > 0 ? info[0] : env.Undefined(), &type);
    if (type != BPF_MAP_TYPE_RINGBUF) ThrowTypeError(env, "a ring buffer needs a map of type BPF_MAP_TYPE_RINGBUF");
    LogCapture capture;
    rb_ = ring_buffer__new(fd, &NativeRingBuffer::OnSample, this, nullptr);
    long err = libbpf_get_error(rb_);
    if (err || !rb_) {
      rb_ = nullptr;
      ThrowBpfError(env, "ringbuf", static_cast<int>(err ? -err : EINVAL), "cannot open ring buffer", capture.Take());
    }
  }

  ~NativeRingBuffer() override { Release(); }

 private:
  struct ring_buffer* rb_ = nullptr;
  FdWatcher watcher_;
  std::vector<uint8_t> scratch_;
  std::vector<uint8_t>* batch_ = nullptr;
  uint32_t batch_count_ = 0, batch_max_ = 0;

  static int OnSample(void* ctx, void* data, size_t size) {
    auto* self = static_cast<NativeRingBuffer*>(ctx);
    std::vector<uint8_t>& out = *self->batch_;
    size_t at = out.size();
    size_t padded = (size + 3) & ~size_t{3};
    out.resize(at + 4 + padded);  // capacity is kept between drains: this rarely allocates
    uint32_t len = static_cast<uint32_t>(size);
    memcpy(out.data() + at, &len, 4);
    memcpy(out.data() + at + 4, data, size);
    return ++self->batch_count_ >= self->batch_max_ ? kStopDraining : 0;
  }

  void Release() {
    watcher_.Reset();
    if (rb_) ring_buffer__free(rb_);
    rb_ = nullptr;
  }

  struct ring_buffer* Live(Napi::Env env) {
    if (!rb_) ThrowClosed(env, "ring buffer");
    return rb_;
  }

  // start(onReadable): begin watching; onReadable(status) runs on the loop thread.
  void Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    struct ring_buffer* rb = Live(env);
    if (info.Length() < 1 || !info[0].IsFunction()) ThrowTypeError(env, "start() needs a callback");
    int err = watcher_.Start(env, ring_buffer__epoll_fd(rb), info[0].As<Napi::Function>());
    if (err != 0) ThrowBpfError(env, "ringbuf", -err, "cannot watch ring buffer");
  }

  // Stops watching; records stay in the ring until drained or closed. The uv handle is what
  // keeps the process alive, so a stopped ring buffer lets Node exit.
  void Stop(const Napi::CallbackInfo&) { watcher_.Stop(); }

  // drain(max, spare) -> number | Buffer: up to `max` records. When they fit in `spare` (a
  // Buffer the caller keeps for this), they are copied there and the byte count is returned
  // (0: the ring was empty); else they come back in a new Buffer. Reusing `spare` spares a
  // fresh allocation per drain, whose pages the kernel would fault in again each time.
  Napi::Value Drain(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    struct ring_buffer* rb = Live(env);
    uint32_t max = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 4096;
    bool has_spare = info.Length() > 1 && info[1].IsBuffer();
    // One scratch vector for the life of the ring: its pages stay mapped, so a drain costs a
    // copy per record and one copy out, not a fresh allocation faulted in page by page.
    scratch_.clear();
    batch_ = &scratch_;
    batch_count_ = 0;
    batch_max_ = max == 0 ? 1 : max;
    int err = ring_buffer__consume(rb);
    batch_ = nullptr;
    if (err < 0 && err != kStopDraining) ThrowBpfError(env, "ringbuf", -err, "ring buffer consume failed");
    if (has_spare) {
      auto spare = info[1].As<Napi::Buffer<uint8_t>>();
      if (scratch_.size() <= spare.Length()) {
        if (!scratch_.empty()) memcpy(spare.Data(), scratch_.data(), scratch_.size());
        return Napi::Number::New(env, static_cast<double>(scratch_.size()));
      }
    } else if (scratch_.empty()) {
      return Napi::Number::New(env, 0);
    }
    return Napi::Buffer<uint8_t>::Copy(env, scratch_.data(), scratch_.size());
  }

  void Close(const Napi::CallbackInfo&) { Release(); }
  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), rb_ == nullptr); }
};

}  // namespace

Napi::Object InitRingBuffer(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeRingBuffer", NativeRingBuffer::Define(env));
  return exports;
}

}  // namespace addon
