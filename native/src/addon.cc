// Entry point of the addon: registers each concept's class. The typed face is native/*.ts.
#include "common.h"

namespace addon {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitErrors(env, exports);
  InitObject(env, exports);
  InitLink(env, exports);
  InitMap(env, exports);
  InitRingBuffer(env, exports);
  InitTracePipe(env, exports);
  return exports;
}

}  // namespace addon

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return addon::Init(env, exports); }

NODE_API_MODULE(bpf_addon, InitAddon)
