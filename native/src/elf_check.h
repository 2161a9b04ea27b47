// Structural checks on a BPF object's ELF image, for the damage libbpf 1.1 would not survive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace addon {

// Why the image at `data` cannot be handed to libbpf safely (a sentence for the student:
// not a BPF object at all, or a damaged one), or "" when it can.
// Never reads outside [data, data + size).
std::string FindElfDamage(const uint8_t* data, size_t size);

}  // namespace addon
