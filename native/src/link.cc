// NativeLink: one attachment of a program to a hook. Closing it (or the process dying) detaches.
#include <unistd.h>

#include "common.h"

namespace addon {
namespace {

class NativeLink : public Napi::ObjectWrap<NativeLink> {
 public:
  static Napi::FunctionReference* constructor;

  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeLink", {
        InstanceMethod<&NativeLink::Close>("close"),
        InstanceAccessor<&NativeLink::Fd>("fd"),
        InstanceAccessor<&NativeLink::Closed>("closed"),
        InstanceAccessor<&NativeLink::Description>("description"),
    });
  }

  explicit NativeLink(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeLink>(info) {}
  ~NativeLink() override { Release(); }

  void Adopt(struct bpf_link* link, int fd, std::string description) {
    link_ = link;
    fd_ = fd;
    description_ = std::move(description);
  }

 private:
  struct bpf_link* link_ = nullptr;
  int fd_ = -1;  // used instead of link_ for links created with bpf_link_create directly
  std::string description_;

  void Release() {
    if (link_) bpf_link__destroy(link_);
    if (fd_ >= 0) close(fd_);
    link_ = nullptr;
    fd_ = -1;
  }

  bool IsOpen() const { return link_ != nullptr || fd_ >= 0; }

  Napi::Value Fd(const Napi::CallbackInfo& info) {
    if (!IsOpen()) ThrowClosed(info.Env(), "link");
    return Napi::Number::New(info.Env(), link_ ? bpf_link__fd(link_) : fd_);
  }
  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !IsOpen()); }
  Napi::Value Description(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), description_); }
  void Close(const Napi::CallbackInfo&) { Release(); }
};

Napi::FunctionReference* NativeLink::constructor = nullptr;

}  // namespace

Napi::Object NewLink(Napi::Env env, struct bpf_link* link, int fd, const std::string& description) {
  Napi::Object wrapper = NativeLink::constructor->New({});
  NativeLink::Unwrap(wrapper)->Adopt(link, fd, description);
  return wrapper;
}

Napi::Object InitLink(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = NativeLink::Define(env);
  NativeLink::constructor = new Napi::FunctionReference(Napi::Persistent(cls));
  exports.Set("NativeLink", cls);
  return exports;
}

}  // namespace addon
