// NativeObject: one bpf_object (an ELF file of programs and maps) through its life:
// open -> set initial values -> load -> attach programs / open maps -> close.
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "common.h"
#include "elf_check.h"

namespace addon {
namespace {

class NativeObject : public Napi::ObjectWrap<NativeObject> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeObject", {
        InstanceMethod<&NativeObject::Programs>("programs"),
        InstanceMethod<&NativeObject::Maps>("maps"),
        InstanceMethod<&NativeObject::Btf>("btf"),
        InstanceMethod<&NativeObject::InitialValue>("initialValue"),
        InstanceMethod<&NativeObject::SetInitialValue>("setInitialValue"),
        InstanceMethod<&NativeObject::SetAutoload>("setAutoload"),
        InstanceMethod<&NativeObject::Load>("load"),
        InstanceMethod<&NativeObject::OpenMap>("openMap"),
        InstanceMethod<&NativeObject::Attach>("attach"),
        InstanceMethod<&NativeObject::TestRun>("testRun"),
        InstanceMethod<&NativeObject::ProgramFd>("programFd"),
        InstanceMethod<&NativeObject::Close>("close"),
        InstanceAccessor<&NativeObject::Name>("name"),
        InstanceAccessor<&NativeObject::Loaded>("loaded"),
        InstanceAccessor<&NativeObject::Closed>("closed"),
    });
  }

  // new NativeObject(pathOrBytes: string | Buffer, name?: string)
  explicit NativeObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeObject>(info) {
    Napi::Env env = info.Env();
    std::string name;
    if (info.Length() > 1 && info[1].IsString()) name = info[1].As<Napi::String>().Utf8Value();
    LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name.empty() ? nullptr : name.c_str());
    LogCapture capture;
    std::string what;
    if (info.Length() > 0 && info[0].IsString()) {
      std::string path = info[0].As<Napi::String>().Utf8Value();
      what = "cannot open BPF object " + path;
      if (access(path.c_str(), R_OK) != 0) ThrowBpfError(env, "open", errno, what);
      RejectDamaged(env, ReadWholeFile(env, path, what), what);
      obj_ = bpf_object__open_file(path.c_str(), &opts);
    } else if (info.Length() > 0 && info[0].IsBuffer()) {
      auto bytes = info[0].As<Napi::Buffer<uint8_t>>();
      // libbpf reads the ELF image until load(); keep our own copy alive that long.
      image_.assign(bytes.Data(), bytes.Data() + bytes.Length());
      what = "cannot open BPF object from memory";
      if (image_.empty()) ThrowTypeError(env, "BPF object bytes are empty");
      RejectDamaged(env, image_, what);
      obj_ = bpf_object__open_mem(image_.data(), image_.size(), &opts);
    } else {
      ThrowTypeError(env, "BpfObject.open() takes a file path or a Buffer of ELF bytes");
    }
    long err = libbpf_get_error(obj_);
    if (err) {
      obj_ = nullptr;
      ThrowBpfError(env, "open", static_cast<int>(-err), what, capture.Take());
    }
  }

  ~NativeObject() override { Release(); }

  // libbpf 1.1 can crash on a damaged object (see elf_check.cc): check the image first.
  static void RejectDamaged(Napi::Env env, const std::vector<uint8_t>& image, const std::string& what) {
    std::string damage = FindElfDamage(image.data(), image.size());
    if (!damage.empty()) {
      ThrowBpfError(env, "open", LIBBPF_ERRNO__FORMAT, what, damage + "\n");
    }
  }

  static std::vector<uint8_t> ReadWholeFile(Napi::Env env, const std::string& path, const std::string& what) {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) ThrowBpfError(env, "open", EIO, what);
    return bytes;
  }

 private:
  struct bpf_object* obj_ = nullptr;
  std::vector<uint8_t> image_;
  bool loaded_ = false;

  void Release() {
    if (obj_) bpf_object__close(obj_);
    obj_ = nullptr;
    image_.clear();
    image_.shrink_to_fit();
  }

  struct bpf_object* Live(Napi::Env env) {
    if (!obj_) ThrowClosed(env, "BPF object");
    return obj_;
  }

  struct bpf_program* FindProgram(Napi::Env env, const std::string& name) {
    struct bpf_program* prog = bpf_object__find_program_by_name(Live(env), name.c_str());
    if (!prog) {
      std::string names;
      struct bpf_program* p;
      bpf_object__for_each_program(p, obj_) names += std::string(names.empty() ? "" : ", ") + bpf_program__name(p);
      ThrowBpfError(env, "not-found", ENOENT, "no program named '" + name + "' in " + bpf_object__name(obj_) +
                                                  " (programs: " + (names.empty() ? "none" : names) + ")");
    }
    return prog;
  }

  struct bpf_map* FindMap(Napi::Env env, const std::string& name) {
    struct bpf_map* map = bpf_object__find_map_by_name(Live(env), name.c_str());
    if (!map) {
      std::string names;
      struct bpf_map* m;
      bpf_object__for_each_map(m, obj_) names += std::string(names.empty() ? "" : ", ") + bpf_map__name(m);
      ThrowBpfError(env, "not-found", ENOENT, "no map named '" + name + "' in " + bpf_object__name(obj_) +
                                                  " (maps: " + (names.empty() ? "none" : names) + ")");
    }
    return map;
  }

  struct bpf_program* LoadedProgram(const Napi::CallbackInfo& info) {
    struct bpf_program* prog = FindProgram(info.Env(), StringArg(info, 0, "program name"));
    if (!loaded_) ThrowBpfError(info.Env(), "state", EINVAL, "program '" + std::string(bpf_program__name(prog)) + "' is not loaded yet: call load() first");
    return prog;
  }

  Napi::Value Name(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), bpf_object__name(Live(info.Env()))); }
  Napi::Value Loaded(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), loaded_); }
  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), obj_ == nullptr); }

  // [{ name, section, type, autoload }]
  Napi::Value Programs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env);
    uint32_t i = 0;
    struct bpf_program* prog;
    bpf_object__for_each_program(prog, Live(env)) {
      Napi::Object p = Napi::Object::New(env);
      p.Set("name", bpf_program__name(prog));
      p.Set("section", bpf_program__section_name(prog));
      const char* type = libbpf_bpf_prog_type_str(bpf_program__type(prog));
      p.Set("type", type ? type : "unknown");
      p.Set("autoload", bpf_program__autoload(prog));
      out.Set(i++, p);
    }
    return out;
  }

  // [{ name, type, keySize, valueSize, maxEntries, flags, btfKeyTypeId, btfValueTypeId, internal }]
  Napi::Value Maps(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env);
    uint32_t i = 0;
    struct bpf_map* map;
    bpf_object__for_each_map(map, Live(env)) {
      Napi::Object m = Napi::Object::New(env);
      m.Set("name", bpf_map__name(map));
      const char* type = libbpf_bpf_map_type_str(bpf_map__type(map));
      m.Set("type", type ? type : "unknown");
      m.Set("keySize", bpf_map__key_size(map));
      m.Set("valueSize", bpf_map__value_size(map));
      m.Set("maxEntries", bpf_map__max_entries(map));
      m.Set("flags", static_cast<double>(bpf_map__map_flags(map)));
      m.Set("btfKeyTypeId", bpf_map__btf_key_type_id(map));
      m.Set("btfValueTypeId", bpf_map__btf_value_type_id(map));
      m.Set("internal", bpf_map__is_internal(map));
      out.Set(i++, m);
    }
    return out;
  }

  // The object's raw BTF (types of maps, globals and events), or null when built without -g.
  Napi::Value Btf(const Napi::CallbackInfo& info) {
    struct btf* btf = bpf_object__btf(Live(info.Env()));
    if (!btf) return info.Env().Null();
    uint32_t size = 0;
    const void* raw = btf__raw_data(btf, &size);
    if (!raw) return info.Env().Null();
    return Napi::Buffer<uint8_t>::Copy(info.Env(), static_cast<const uint8_t*>(raw), size);
  }

  // Bytes of a global-data map (.bss/.data/.rodata) as they will be loaded.
  Napi::Value InitialValue(const Napi::CallbackInfo& info) {
    struct bpf_map* map = FindMap(info.Env(), StringArg(info, 0, "map name"));
    size_t size = 0;
    const void* data = bpf_map__initial_value(map, &size);
    if (!data) return info.Env().Null();
    return Napi::Buffer<uint8_t>::Copy(info.Env(), static_cast<const uint8_t*>(data), size);
  }

  void SetInitialValue(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    struct bpf_map* map = FindMap(env, StringArg(info, 0, "map name"));
    auto bytes = BufferArg(info, 1, "value");
    if (loaded_) ThrowBpfError(env, "state", EBUSY, std::string("cannot set initial value of ") + bpf_map__name(map) + " after load()");
    size_t size = 0;
    if (!bpf_map__initial_value(map, &size)) ThrowBpfError(env, "state", EINVAL, std::string(bpf_map__name(map)) + " has no initial value (not a global-data map)");
    if (bytes.Length() != size) {
      ThrowTypeError(env, std::string("initial value of ") + bpf_map__name(map) + " must be " + std::to_string(size) +
                              " bytes, got " + std::to_string(bytes.Length()));
    }
    int err = bpf_map__set_initial_value(map, bytes.Data(), bytes.Length());
    if (err) ThrowBpfError(env, "state", -err, std::string("cannot set initial value of ") + bpf_map__name(map));
  }

  void SetAutoload(const Napi::CallbackInfo& info) {
    struct bpf_program* prog = FindProgram(info.Env(), StringArg(info, 0, "program name"));
    if (loaded_) ThrowBpfError(info.Env(), "state", EBUSY, "cannot change autoload after load()");
    bpf_program__set_autoload(prog, info.Length() > 1 && info[1].ToBoolean());
  }

  void Load(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    struct bpf_object* obj = Live(env);
    if (loaded_) ThrowBpfError(env, "state", EBUSY, std::string("BPF object ") + bpf_object__name(obj) + " is already loaded");
    LogCapture capture;
    int err = bpf_object__load(obj);
    if (err) {
      std::string log = capture.Take();
      bool verifier = log.find("-- BEGIN PROG LOAD LOG --") != std::string::npos;
      ThrowBpfError(env, verifier ? "verifier" : "load", -err, std::string("cannot load BPF object ") + bpf_object__name(obj), log);
    }
    loaded_ = true;
    image_.clear();
    image_.shrink_to_fit();
  }

  Napi::Value OpenMap(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    struct bpf_map* map = FindMap(env, StringArg(info, 0, "map name"));
    if (!loaded_) ThrowBpfError(env, "state", EINVAL, std::string("map '") + bpf_map__name(map) + "' does not exist in the kernel until load()");
    return NewMap(env, map);
  }

  Napi::Value ProgramFd(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), bpf_program__fd(LoadedProgram(info)));
  }

  // attach(program, kind, options) -> NativeLink
  //   kind "auto" (from SEC()), "tracepoint" {category, name}, "raw_tracepoint" {name},
  //   "uprobe" {binary, func, offset, pid, retprobe}, "xdp" {ifname|ifindex, mode}
  Napi::Value Attach(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    struct bpf_program* prog = LoadedProgram(info);
    std::string kind = StringArg(info, 1, "attach kind");
    Napi::Object opts = info.Length() > 2 && info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
    auto str = [&](const char* key) -> std::string {
      Napi::Value v = opts.Get(key);
      if (!v.IsString()) ThrowTypeError(env, std::string(kind) + " attach needs a string '" + key + "'");
      return v.As<Napi::String>().Utf8Value();
    };
    auto num = [&](const char* key, int64_t fallback) -> int64_t {
      Napi::Value v = opts.Get(key);
      if (v.IsUndefined() || v.IsNull()) return fallback;
      if (!v.IsNumber()) ThrowTypeError(env, std::string(kind) + " attach option '" + key + "' must be a number");
      return v.As<Napi::Number>().Int64Value();
    };
    std::string name = bpf_program__name(prog);
    LogCapture capture;
    struct bpf_link* link = nullptr;
    int link_fd = -1;
    std::string description;
    if (kind == "auto") {
      description = std::string("program '") + name + "' (" + bpf_program__section_name(prog) + ")";
      link = bpf_program__attach(prog);
    } else if (kind == "tracepoint") {
      std::string category = str("category"), tp = str("name");
      description = "tracepoint " + category + ":" + tp;
      link = bpf_program__attach_tracepoint(prog, category.c_str(), tp.c_str());
    } else if (kind == "raw_tracepoint") {
      std::string tp = str("name");
      description = "raw tracepoint " + tp;
      link = bpf_program__attach_raw_tracepoint(prog, tp.c_str());
    } else if (kind == "uprobe") {
      std::string binary = str("binary");
      Napi::Value fn = opts.Get("func");
      std::string func = fn.IsString() ? fn.As<Napi::String>().Utf8Value() : "";
      bool retprobe = opts.Get("retprobe").ToBoolean();
      LIBBPF_OPTS(bpf_uprobe_opts, uopts, .retprobe = retprobe, .func_name = func.empty() ? nullptr : func.c_str());
      int64_t pid = num("pid", -1);
      description = std::string(retprobe ? "uretprobe " : "uprobe ") + binary + (func.empty() ? "" : ":" + func);
      link = bpf_program__attach_uprobe_opts(prog, static_cast<pid_t>(pid), binary.c_str(), static_cast<size_t>(num("offset", 0)), &uopts);
    } else if (kind == "xdp") {
      int64_t ifindex = num("ifindex", 0);
      std::string ifname;
      if (opts.Get("ifname").IsString()) {
        ifname = str("ifname");
        ifindex = if_nametoindex(ifname.c_str());
        if (ifindex == 0) ThrowBpfError(env, "attach", ENODEV, "no network interface named '" + ifname + "'");
      }
      if (ifindex <= 0) ThrowTypeError(env, "xdp attach needs 'ifname' or a positive 'ifindex'");
      if (ifname.empty()) ifname = "ifindex " + std::to_string(ifindex);
      // A BPF link (not netlink) so the program detaches when the last fd closes, even on a crash.
      uint32_t flags = static_cast<uint32_t>(num("flags", 0));
      description = "xdp on " + ifname;
      LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = flags);
      link_fd = bpf_link_create(bpf_program__fd(prog), static_cast<int>(ifindex), BPF_XDP, &lopts);
      if (link_fd < 0) ThrowBpfError(env, "attach", errno, "cannot attach " + name + " to " + description, capture.Take());
    } else {
      ThrowTypeError(env, "unknown attach kind '" + kind + "' (auto, tracepoint, raw_tracepoint, uprobe, xdp)");
    }
    if (link_fd < 0) {
      long err = libbpf_get_error(link);
      if (err || !link) {
        int code = static_cast<int>(err ? -err : EINVAL);
        // libbpf says EOPNOTSUPP when a SEC() (bare "uprobe", "xdp", ...) names no target.
        if (kind == "auto" && code == EOPNOTSUPP) description += ", whose SEC() names no target: attach it explicitly (attachUprobe, attachXdp, ...)";
        ThrowBpfError(env, "attach", code, "cannot attach " + name + " to " + description, capture.Take());
      }
    }
    return NewLink(env, link, link_fd, description);
  }

  // testRun(program, data, repeat) -> { retval, data, durationNs } (BPF_PROG_TEST_RUN)
  Napi::Value TestRun(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    struct bpf_program* prog = LoadedProgram(info);
    auto data = BufferArg(info, 1, "packet data");
    int64_t repeat = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Int64Value() : 1;
    // The kernel runs the program `repeat` times inside one syscall, holding the event loop.
    if (repeat < 1 || repeat > 10'000'000) ThrowTypeError(env, "testRun repeat must be between 1 and 10000000");
    // XDP may grow the packet (bpf_xdp_adjust_head/tail): leave room for it.
    std::vector<uint8_t> out(data.Length() + 4096);
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data.Data(), .data_out = out.data(),
                .data_size_in = static_cast<uint32_t>(data.Length()), .data_size_out = static_cast<uint32_t>(out.size()),
                .repeat = static_cast<int>(repeat));
    int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
    if (err) ThrowBpfError(env, "test-run", errno, std::string("test run of ") + bpf_program__name(prog) + " failed");
    Napi::Object result = Napi::Object::New(env);
    result.Set("retval", opts.retval);
    result.Set("data", Napi::Buffer<uint8_t>::Copy(env, out.data(), std::min<size_t>(opts.data_size_out, out.size())));
    result.Set("durationNs", opts.duration);
    return result;
  }

  void Close(const Napi::CallbackInfo&) { Release(); }
};

}  // namespace

Napi::Object InitObject(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeObject", NativeObject::Define(env));
  exports.Set("numPossibleCpus", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    int n = libbpf_num_possible_cpus();
    if (n < 0) ThrowBpfError(info.Env(), "cpus", -n, "cannot read /sys/devices/system/cpu/possible");
    return Napi::Number::New(info.Env(), n);
  }));
  exports.Set("libbpfVersion", Napi::String::New(env, libbpf_version_string()));
  return exports;
}

}  // namespace addon
