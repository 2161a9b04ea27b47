// Entry point of the addon: registers each concept's class, plus the feature probes (a few
// free functions too small for a file of their own). The typed face is native/*.ts.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common.h"

namespace addon {
namespace {

// Helper names in enum bpf_func_id order (the uapi header's own list, so no table to keep).
#define ADDON_HELPER_NAME(name) #name
const char* const kHelperNames[] = {__BPF_FUNC_MAPPER(ADDON_HELPER_NAME)};
#undef ADDON_HELPER_NAME

// The enum value whose libbpf name ("ringbuf", "xdp") is `name`; -1 when libbpf knows none.
template <typename Enum>
int EnumByName(const char* (*to_string)(Enum), const std::string& name) {
  for (int value = 0; value < 4096; value++) {
    const char* known = to_string(static_cast<Enum>(value));
    if (known == nullptr) return -1;  // past the last value this libbpf knows
    if (name == known) return value;
  }
  return -1;
}

int HelperByName(const std::string& name) {
  for (size_t id = 0; id < sizeof kHelperNames / sizeof kHelperNames[0]; id++) {
    if (name == kHelperNames[id]) return static_cast<int>(id);
  }
  return -1;
}

// 1 when a program of `type` may call `helper`, 0 when not, -errno when the kernel cannot be
// asked. Not libbpf_probe_bpf_helper(): libbpf 1.1 recognises only the verifier's older words
// for "not for this program type", and newer kernels say "program of this type cannot use
// helper", which it takes for a yes.
int ProbeHelper(enum bpf_prog_type type, int helper) {
  char log[4096] = "";
  struct bpf_insn program[2] = {};
  program[0].code = BPF_JMP | BPF_CALL;
  program[0].imm = helper;
  program[1].code = BPF_JMP | BPF_EXIT;
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_level = 1, .log_size = sizeof log, .log_buf = log);
  int fd = bpf_prog_load(type, nullptr, "GPL", program, 2, &opts);
  if (fd >= 0) {
    close(fd);
    return 1;
  }
  int err = errno;
  if (strstr(log, "invalid func ") || strstr(log, "unknown func ") || strstr(log, "cannot use helper")) return 0;
  if (err == EPERM) return -err;  // not allowed to load programs at all
  // Refused for something else (its arguments): the helper itself is there for this type.
  return 1;
}

int ProgTypeArg(const Napi::CallbackInfo& info, size_t index) {
  std::string name = StringArg(info, index, "program type");
  int type = EnumByName(libbpf_bpf_prog_type_str, name);
  if (type < 0) ThrowTypeError(info.Env(), "unknown BPF program type \"" + name + "\" (libbpf " + libbpf_version_string() + ")");
  return type;
}

// probe(kind, name[, progType]): true when the running kernel supports a map type ("map",
// "ringbuf"), a program type ("prog", "xdp") or a helper from a program type ("helper",
// "ringbuf_reserve", "tracepoint"). Asks the kernel itself: it creates a tiny map or loads a
// tiny program of that kind. Throws when the kernel cannot be asked (EPERM...).
Napi::Value Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string kind = StringArg(info, 0, "kind");
  std::string name = StringArg(info, 1, "name");
  int result;
  LogCapture capture;
  if (kind == "map") {
    int type = EnumByName(libbpf_bpf_map_type_str, name);
    if (type < 0) ThrowTypeError(env, "unknown BPF map type \"" + name + "\" (libbpf " + libbpf_version_string() + ")");
    result = libbpf_probe_bpf_map_type(static_cast<enum bpf_map_type>(type), nullptr);
  } else if (kind == "prog") {
    result = libbpf_probe_bpf_prog_type(static_cast<enum bpf_prog_type>(ProgTypeArg(info, 1)), nullptr);
  } else if (kind == "helper") {
    int helper = HelperByName(name);
    if (helper < 0) ThrowTypeError(env, "unknown BPF helper \"" + name + "\" (not in this machine's linux/bpf.h)");
    result = ProbeHelper(static_cast<enum bpf_prog_type>(ProgTypeArg(info, 2)), helper);
  } else {
    ThrowTypeError(env, "probe kind must be \"map\", \"prog\" or \"helper\", not \"" + kind + "\"");
  }
  if (result < 0) ThrowBpfError(env, "probe", -result, "cannot probe the kernel for " + kind + " " + name, capture.Take());
  return Napi::Boolean::New(env, result > 0);
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitErrors(env, exports);
  InitObject(env, exports);
  InitLink(env, exports);
  InitMap(env, exports);
  InitRingBuffer(env, exports);
  InitTracePipe(env, exports);
  exports.Set("probe", Napi::Function::New(env, Probe));
  return exports;
}

}  // namespace addon

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return addon::Init(env, exports); }

NODE_API_MODULE(bpf_addon, InitAddon)
