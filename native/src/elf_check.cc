// Structural checks on a BPF object's ELF image before libbpf 1.1 parses it.
//
// libbpf 1.1 trusts parts of the file it is handed: a damaged object (a few flipped bytes) can
// make it follow an index out of range and crash the whole Node process. Students hand the
// library any file, so every index libbpf follows without checking is checked here first, and
// a damaged object becomes a BpfError naming the broken field. Crash sites found by fuzzing
// (tests/fixtures/addon/fuzz-elf.ts) are named where the check that prevents them sits.
//
// The image is read with plain bounds-checked copies (no libelf): the checks must never read
// outside the buffer themselves, whatever the headers claim.
#include <elf.h>
#include <linux/btf.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "elf_check.h"

namespace addon {
namespace {

// A failed check: its message becomes the reason in the BpfError.
struct Damaged {
  std::string reason;
  bool not_bpf;  // a sound file of another kind, not a damaged BPF object
};

[[noreturn]] void Fail(const std::string& reason) { throw Damaged{reason, false}; }
[[noreturn]] void NotBpf(const std::string& reason) { throw Damaged{reason, true}; }

std::string Str(uint64_t n) { return std::to_string(n); }

// A read-only window on part of the image; every read is bounds-checked against it.
class Bytes {
 public:
  Bytes(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}
  uint64_t size() const { return size_; }
  bool Contains(uint64_t offset, uint64_t length) const { return offset <= size_ && length <= size_ - offset; }

  template <typename T>
  T Read(uint64_t offset, const std::string& what) const {
    if (!Contains(offset, sizeof(T))) Fail(what + " lies past the end of its data");
    T value;
    memcpy(&value, data_ + offset, sizeof(T));
    return value;
  }

  Bytes Slice(uint64_t offset, uint64_t length, const std::string& what) const {
    if (!Contains(offset, length)) {
      Fail(what + " [" + Str(offset) + ", +" + Str(length) + ") lies outside the " + Str(size_) + " bytes that hold it");
    }
    return Bytes(data_ + offset, length);
  }

  // A string table is usable when it is empty-string-first and NUL-terminated: then every
  // offset inside it names a terminated string.
  bool IsStringTable() const { return size_ > 0 && data_[0] == 0 && data_[size_ - 1] == 0; }
  const uint8_t* data() const { return data_; }

 private:
  const uint8_t* data_;
  uint64_t size_;
};

std::string SectionName(const Bytes& shstrtab, const Elf64_Shdr& sh, size_t index) {
  if (sh.sh_name >= shstrtab.size()) return "section " + Str(index);
  return "section " + Str(index) + " (" + reinterpret_cast<const char*>(shstrtab.data() + sh.sh_name) + ")";
}

// ---- BTF -------------------------------------------------------------------------------

// Size of a BTF type record (header plus what follows it), or 0 for a kind libbpf 1.1 does
// not know (libbpf rejects those itself).
uint64_t BtfRecordSize(uint32_t info) {
  uint32_t vlen = BTF_INFO_VLEN(info);
  switch (BTF_INFO_KIND(info)) {
    case BTF_KIND_INT: return sizeof(btf_type) + 4;
    case BTF_KIND_ARRAY: return sizeof(btf_type) + sizeof(btf_array);
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: return sizeof(btf_type) + uint64_t{vlen} * sizeof(btf_member);
    case BTF_KIND_ENUM: return sizeof(btf_type) + uint64_t{vlen} * sizeof(btf_enum);
    case BTF_KIND_ENUM64: return sizeof(btf_type) + uint64_t{vlen} * sizeof(btf_enum64);
    case BTF_KIND_FUNC_PROTO: return sizeof(btf_type) + uint64_t{vlen} * sizeof(btf_param);
    case BTF_KIND_VAR: return sizeof(btf_type) + sizeof(btf_var);
    case BTF_KIND_DATASEC: return sizeof(btf_type) + uint64_t{vlen} * sizeof(btf_var_secinfo);
    case BTF_KIND_DECL_TAG: return sizeof(btf_type) + sizeof(btf_decl_tag);
    case BTF_KIND_PTR: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_FUNC: case BTF_KIND_FLOAT:
    case BTF_KIND_TYPE_TAG: return sizeof(btf_type);
    default: return 0;
  }
}

// Kinds whose btf_type.type names another type, followed by libbpf's skip_mods_and_typedefs().
bool IsModifierOrTypedef(uint32_t kind) {
  return kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_VOLATILE || kind == BTF_KIND_CONST ||
         kind == BTF_KIND_RESTRICT || kind == BTF_KIND_TYPE_TAG;
}

bool RefersThroughTypeField(uint32_t kind) {
  return IsModifierOrTypedef(kind) || kind == BTF_KIND_PTR || kind == BTF_KIND_FUNC ||
         kind == BTF_KIND_VAR || kind == BTF_KIND_DECL_TAG;
}

// What the BTF.ext check needs to know about the object's BTF.
struct BtfSummary {
  uint32_t type_count = 0;  // valid ids are [0, type_count); 0 is void
  uint32_t str_len = 0;
};

// libbpf 1.1's btf__new() checks the header's section bounds and each record's size, but not
// what the records say: a type id past the last type makes btf__type_by_id() return NULL,
// which callers dereference (the map parser: bpf_object__init_user_btf_map() on a .maps
// variable's type, get_map_field_int() on a map definition member's type, both through
// skip_mods_and_typedefs()); a name offset past the strings gives a NULL name to strcmp();
// a typedef/const chain that loops makes skip_mods_and_typedefs() spin forever.
BtfSummary CheckBtf(const Bytes& btf) {
  auto hdr = btf.Read<btf_header>(0, ".BTF header");
  if (hdr.magic != BTF_MAGIC) Fail(".BTF has a bad magic number (or the wrong byte order)");
  // libbpf ignores the version; the kernel and our decoder know only version 1.
  if (hdr.version != BTF_VERSION) Fail(".BTF version " + Str(hdr.version) + " is unknown (only " + Str(BTF_VERSION) + " exists)");
  if (hdr.hdr_len < sizeof(btf_header) || hdr.hdr_len > btf.size()) Fail(".BTF header length " + Str(hdr.hdr_len) + " is impossible");
  Bytes body = btf.Slice(hdr.hdr_len, btf.size() - hdr.hdr_len, ".BTF body");
  Bytes types = body.Slice(hdr.type_off, hdr.type_len, ".BTF type section");
  Bytes strings = body.Slice(hdr.str_off, hdr.str_len, ".BTF string section");
  if (!strings.IsStringTable()) Fail(".BTF string section is empty or not NUL-terminated");

  // First pass: where each type record starts (ids count from 1).
  std::vector<uint64_t> starts{0};
  for (uint64_t at = 0; at < types.size();) {
    auto t = types.Read<btf_type>(at, ".BTF type [" + Str(starts.size()) + "]");
    uint64_t size = BtfRecordSize(t.info);
    if (size == 0) Fail(".BTF type [" + Str(starts.size()) + "] has unknown kind " + Str(BTF_INFO_KIND(t.info)));
    if (!types.Contains(at, size)) Fail(".BTF type [" + Str(starts.size()) + "] runs past the type section");
    starts.push_back(at);
    at += size;
  }
  const uint32_t count = static_cast<uint32_t>(starts.size());

  auto type_at = [&](uint32_t id) { return types.Read<btf_type>(starts[id], ".BTF type"); };
  for (uint32_t id = 1; id < count; id++) {
    const std::string where = ".BTF type [" + Str(id) + "]";
    const btf_type t = type_at(id);
    const uint32_t kind = BTF_INFO_KIND(t.info), vlen = BTF_INFO_VLEN(t.info);
    const uint64_t extra = starts[id] + sizeof(btf_type);
    auto about = [&](const std::string& what) { return what.empty() ? where : where + " " + what; };
    auto name = [&](uint32_t off, const std::string& what) {
      if (off >= strings.size()) Fail(about(what) + " name offset " + Str(off) + " is past the " + Str(strings.size()) + "-byte string section");
    };
    auto ref = [&](uint32_t target, const std::string& what) {
      if (target >= count) Fail(about(what) + " refers to type " + Str(target) + ", but the last type is " + Str(count - 1));
    };
    name(t.name_off, "");
    if (RefersThroughTypeField(kind)) ref(t.type, "");
    // libbpf reads a FUNC's prototype with btf_params() without checking its kind.
    if (kind == BTF_KIND_FUNC && BTF_INFO_KIND(type_at(t.type).info) != BTF_KIND_FUNC_PROTO) Fail(where + " is a function whose type is not a prototype");
    for (uint32_t i = 0; i < vlen; i++) {
      const std::string item = "item " + Str(i);
      switch (kind) {
        case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
          auto m = types.Read<btf_member>(extra + i * sizeof(btf_member), where);
          name(m.name_off, item);
          ref(m.type, item);
          break;
        }
        case BTF_KIND_ENUM: name(types.Read<btf_enum>(extra + i * sizeof(btf_enum), where).name_off, item); break;
        case BTF_KIND_ENUM64: name(types.Read<btf_enum64>(extra + i * sizeof(btf_enum64), where).name_off, item); break;
        case BTF_KIND_FUNC_PROTO: {
          auto p = types.Read<btf_param>(extra + i * sizeof(btf_param), where);
          name(p.name_off, item);
          ref(p.type, item);
          break;
        }
        case BTF_KIND_DATASEC: ref(types.Read<btf_var_secinfo>(extra + i * sizeof(btf_var_secinfo), where).type, item); break;
        default: break;
      }
    }
    if (kind == BTF_KIND_FUNC_PROTO) ref(t.type, "return type");
    if (kind == BTF_KIND_ARRAY) {
      auto a = types.Read<btf_array>(extra, where);
      ref(a.type, "element");
      ref(a.index_type, "index");
    }
  }

  // A chain of typedefs/modifiers must end: more steps than there are types means a loop.
  for (uint32_t id = 1; id < count; id++) {
    uint32_t cur = id;
    for (uint32_t steps = 0; cur != 0 && IsModifierOrTypedef(BTF_INFO_KIND(type_at(cur).info)); steps++) {
      if (steps > count) Fail(".BTF type [" + Str(id) + "] is a typedef/modifier chain that loops");
      cur = type_at(cur).type;
    }
  }
  return {count, hdr.str_len};
}

// libbpf 1.1's btf_ext__new() checks each info block's bounds and record size, then trusts
// the records: section names (looked up by offset, passed to strcmp), instruction offsets and
// type ids. Each is checked against the object's BTF.
// The .BTF.ext header (libbpf keeps its definition private). Older headers end after
// line_info_len, without the CO-RE block.
struct BtfExtHeader {
  uint16_t magic;
  uint8_t version, flags;
  uint32_t hdr_len;
  uint32_t func_info_off, func_info_len, line_info_off, line_info_len;
  uint32_t core_relo_off, core_relo_len;
};
constexpr uint32_t kBtfExtMinHeader = offsetof(BtfExtHeader, core_relo_off);

void CheckBtfExt(const Bytes& ext, const BtfSummary& btf) {
  BtfExtHeader hdr{};
  if (ext.size() < kBtfExtMinHeader) Fail(".BTF.ext is too short for its header");
  memcpy(&hdr, ext.data(), std::min<uint64_t>(ext.size(), sizeof hdr));
  if (hdr.magic != BTF_MAGIC) Fail(".BTF.ext has a bad magic number (or the wrong byte order)");
  if (hdr.version != BTF_VERSION) Fail(".BTF.ext version " + Str(hdr.version) + " is unknown");
  if (hdr.hdr_len < kBtfExtMinHeader || hdr.hdr_len > ext.size()) Fail(".BTF.ext header length " + Str(hdr.hdr_len) + " is impossible");
  Bytes body = ext.Slice(hdr.hdr_len, ext.size() - hdr.hdr_len, ".BTF.ext body");
  bool has_core = hdr.hdr_len >= sizeof(BtfExtHeader);

  // Each block: u32 record size, then per section {sec_name_off, num_info, records...}.
  enum Block { kFunc, kLine, kCore };
  auto check_block = [&](uint32_t off, uint32_t len, Block block, const char* what) {
    if (len == 0) return;
    Bytes data = body.Slice(off, len, std::string(".BTF.ext ") + what);
    uint32_t rec = data.Read<uint32_t>(0, std::string(".BTF.ext ") + what + " record size");
    static const uint32_t min_rec[] = {8, 16, 16};  // bpf_func_info, bpf_line_info, bpf_core_relo
    if (rec < min_rec[block] || rec % 4) Fail(std::string(".BTF.ext ") + what + " record size " + Str(rec) + " is impossible");
    for (uint64_t at = 4; at < data.size();) {
      std::string where = std::string(".BTF.ext ") + what + " at byte " + Str(at);
      uint32_t sec_name = data.Read<uint32_t>(at, where);
      uint32_t num = data.Read<uint32_t>(at + 4, where);
      if (sec_name >= btf.str_len) Fail(where + " names its section by string offset " + Str(sec_name) + ", past the BTF strings");
      at += 8;
      if (!data.Contains(at, uint64_t{num} * rec)) Fail(where + " has " + Str(num) + " records that run past the block");
      for (uint32_t i = 0; i < num; i++, at += rec) {
        uint32_t insn_off = data.Read<uint32_t>(at, where);
        uint32_t second = data.Read<uint32_t>(at + 4, where);
        if (insn_off % 8) Fail(where + " record " + Str(i) + " points into the middle of an instruction");
        if (block == kFunc && second >= btf.type_count) Fail(where + " record " + Str(i) + " refers to missing type " + Str(second));
        if (block == kLine) {
          uint32_t line_off = data.Read<uint32_t>(at + 8, where);
          if (second >= btf.str_len || line_off >= btf.str_len) Fail(where + " record " + Str(i) + " has a file or line string past the BTF strings");
        }
        if (block == kCore) {
          uint32_t access = data.Read<uint32_t>(at + 8, where);
          if (second >= btf.type_count) Fail(where + " record " + Str(i) + " refers to missing type " + Str(second));
          if (access >= btf.str_len) Fail(where + " record " + Str(i) + " has an access string past the BTF strings");
        }
      }
    }
  };
  check_block(hdr.func_info_off, hdr.func_info_len, kFunc, "func_info");
  check_block(hdr.line_info_off, hdr.line_info_len, kLine, "line_info");
  if (has_core) check_block(hdr.core_relo_off, hdr.core_relo_len, kCore, "core_relo");
}

// ---- ELF -------------------------------------------------------------------------------

void CheckElf(const Bytes& file) {
  auto eh = file.Read<Elf64_Ehdr>(0, "ELF header");
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) NotBpf("not an ELF file");
  // libbpf checks the class and byte order itself, but only after reading headers as 64-bit
  // native ones; everything below assumes them too.
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) NotBpf("not a 64-bit ELF file");
  const uint8_t native = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
  if (eh.e_ident[EI_DATA] != native) NotBpf("ELF byte order differs from this machine's (built for the wrong -target bpfel/bpfeb?)");
  if (eh.e_machine != EM_BPF) NotBpf("ELF machine is " + Str(eh.e_machine) + ", not BPF (" + Str(EM_BPF) + ")");
  if (eh.e_shentsize != sizeof(Elf64_Shdr)) Fail("ELF section header size " + Str(eh.e_shentsize) + " is not " + Str(sizeof(Elf64_Shdr)));
  // Extended numbering (e_shnum 0, e_shstrndx SHN_XINDEX) never appears in BPF objects.
  if (eh.e_shnum == 0) Fail("ELF file has no section headers");
  if (eh.e_shstrndx == SHN_UNDEF || eh.e_shstrndx >= eh.e_shnum) Fail("ELF section-name table index " + Str(eh.e_shstrndx) + " is out of range");
  Bytes table = file.Slice(eh.e_shoff, uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr), "ELF section header table");

  const size_t count = eh.e_shnum;
  std::vector<Elf64_Shdr> sh(count);
  for (size_t i = 0; i < count; i++) sh[i] = table.Read<Elf64_Shdr>(i * sizeof(Elf64_Shdr), "section header");

  // libelf hands libbpf each section's data from sh_offset/sh_size without always checking
  // them against a memory image; libbpf then reads the data as the header says.
  std::vector<Bytes> data;
  for (size_t i = 0; i < count; i++) {
    if (sh[i].sh_type == SHT_NOBITS || sh[i].sh_type == SHT_NULL) data.emplace_back(nullptr, 0);
    else data.push_back(file.Slice(sh[i].sh_offset, sh[i].sh_size, "section " + Str(i) + "'s data"));
  }

  const Bytes& shstrtab = data[eh.e_shstrndx];
  if (sh[eh.e_shstrndx].sh_type != SHT_STRTAB || !shstrtab.IsStringTable()) Fail("ELF section-name table is not a NUL-terminated string table");
  // libbpf strcmp()s every section's name: a name offset past the table gives it NULL.
  for (size_t i = 0; i < count; i++) {
    if (sh[i].sh_name >= shstrtab.size()) Fail("section " + Str(i) + "'s name offset " + Str(sh[i].sh_name) + " is past the section-name table");
  }

  // libbpf uses the one SYMTAB and follows its sh_link to the symbol names.
  size_t symtab = 0;
  for (size_t i = 0; i < count; i++) {
    if (sh[i].sh_type != SHT_SYMTAB) continue;
    if (symtab) Fail("ELF file has more than one symbol table");
    symtab = i;
  }
  if (!symtab) Fail("ELF file has no symbol table");
  const Elf64_Shdr& st = sh[symtab];
  if (st.sh_entsize != sizeof(Elf64_Sym) || st.sh_size % sizeof(Elf64_Sym)) Fail("symbol table entry size " + Str(st.sh_entsize) + " is not " + Str(sizeof(Elf64_Sym)));
  if (st.sh_link == 0 || st.sh_link >= count || sh[st.sh_link].sh_type != SHT_STRTAB) Fail("symbol table's string table link " + Str(st.sh_link) + " is not a string table");
  const Bytes& strtab = data[st.sh_link];
  if (!strtab.IsStringTable()) Fail("symbol string table is not NUL-terminated");
  const uint64_t nsyms = st.sh_size / sizeof(Elf64_Sym);
  // libbpf indexes its section array with st_shndx and passes names to strcmp().
  for (uint64_t i = 0; i < nsyms; i++) {
    auto sym = data[symtab].Read<Elf64_Sym>(i * sizeof(Elf64_Sym), "symbol");
    if (sym.st_name >= strtab.size()) Fail("symbol " + Str(i) + "'s name offset " + Str(sym.st_name) + " is past the string table");
    bool special = sym.st_shndx == SHN_ABS || sym.st_shndx == SHN_COMMON;
    if (!special && sym.st_shndx >= count) Fail("symbol " + Str(i) + " is in section " + Str(sym.st_shndx) + ", which does not exist");
  }

  // libbpf reads r_info's symbol index straight into the symbol table, and the target
  // section from sh_info.
  for (size_t i = 0; i < count; i++) {
    if (sh[i].sh_type != SHT_REL) continue;
    std::string where = "relocation " + SectionName(shstrtab, sh[i], i);
    if (sh[i].sh_entsize != sizeof(Elf64_Rel) || sh[i].sh_size % sizeof(Elf64_Rel)) Fail(where + " has entry size " + Str(sh[i].sh_entsize) + ", not " + Str(sizeof(Elf64_Rel)));
    if (sh[i].sh_link != symtab) Fail(where + " links to section " + Str(sh[i].sh_link) + ", not the symbol table");
    if (sh[i].sh_info == 0 || sh[i].sh_info >= count) Fail(where + " applies to section " + Str(sh[i].sh_info) + ", which does not exist");
    for (uint64_t r = 0; r < sh[i].sh_size / sizeof(Elf64_Rel); r++) {
      auto rel = data[i].Read<Elf64_Rel>(r * sizeof(Elf64_Rel), where);
      if (ELF64_R_SYM(rel.r_info) >= nsyms) Fail(where + " entry " + Str(r) + " names symbol " + Str(ELF64_R_SYM(rel.r_info)) + " of " + Str(nsyms));
    }
  }

  // BTF (libbpf opens an object without it, so both sections are optional).
  const Bytes* btf = nullptr;
  const Bytes* ext = nullptr;
  for (size_t i = 0; i < count; i++) {
    const char* name = reinterpret_cast<const char*>(shstrtab.data() + sh[i].sh_name);
    if (strcmp(name, ".BTF") == 0) btf = &data[i];
    if (strcmp(name, ".BTF.ext") == 0) ext = &data[i];
  }
  if (btf) {
    BtfSummary summary = CheckBtf(*btf);
    if (ext) CheckBtfExt(*ext, summary);
  }
}

}  // namespace

std::string FindElfDamage(const uint8_t* data, size_t size) {
  try {
    CheckElf(Bytes(data, size));
    return "";
  } catch (const Damaged& damage) {
    if (damage.not_bpf) return "not a valid eBPF object file: " + damage.reason + " (compile it with clang -target bpf)";
    return "the object is damaged: " + damage.reason + " (rebuild it with `npm run build`)";
  }
}

}  // namespace addon
