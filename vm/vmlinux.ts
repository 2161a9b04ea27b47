// Turns a bzImage (vmlinuz) into the uncompressed ELF vmlinux. QEMU boots that ELF through its
// PVH entry point directly, skipping the real-mode setup and the in-guest decompression, which
// under TCG costs seconds on every boot.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

/** Magic bytes of the compressors Debian builds kernels with, and the tool that inflates each. */
const decompressors: { name: string; magic: number[]; argv: string[] }[] = [
  { name: "xz", magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], argv: ["xz", "-dc"] },
  { name: "zstd", magic: [0x28, 0xb5, 0x2f, 0xfd], argv: ["zstd", "-dcq"] },
  { name: "gzip", magic: [0x1f, 0x8b, 0x08], argv: ["gzip", "-dc"] },
];

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

function startsWith(buf: Buffer, magic: number[], at = 0): boolean {
  return magic.every((b, i) => buf[at + i] === b);
}

/**
 * The compressed kernel inside a bzImage. The x86 boot protocol (2.08+) records where it is:
 * the protected-mode code starts after (setup_sects + 1) sectors, and payload_offset /
 * payload_length locate the compressed stream inside it, so no magic-byte scanning is needed.
 */
export function bzImagePayload(image: Buffer): Buffer {
  if (image.length < 0x260 || image.toString("latin1", 0x202, 0x206) !== "HdrS") {
    throw new Error("not a bzImage: the x86 boot header signature 'HdrS' is missing");
  }
  const protocol = image.readUInt16LE(0x206);
  if (protocol < 0x208) throw new Error(`boot protocol ${protocol.toString(16)} predates payload_offset (2.08)`);
  const setupSectors = image[0x1f1] || 4;
  const start = (setupSectors + 1) * 512 + image.readUInt32LE(0x248);
  const length = image.readUInt32LE(0x24c);
  if (start + length > image.length) throw new Error("bzImage payload runs past the end of the file");
  return image.subarray(start, start + length);
}

/** Writes the uncompressed ELF kernel from `vmlinuzPath` to `outputPath`. */
export function extractVmlinux(vmlinuzPath: string, outputPath: string): void {
  const payload = bzImagePayload(readFileSync(vmlinuzPath));
  const codec = decompressors.find((d) => startsWith(payload, d.magic));
  if (!codec) throw new Error(`${vmlinuzPath}: unknown kernel compression (payload starts ${payload.subarray(0, 6).toString("hex")})`);
  // The payload may carry trailing bytes (the decompressed size); the tools stop at the stream's end.
  const inflated = spawnSync(codec.argv[0]!, codec.argv.slice(1), { input: payload, maxBuffer: 1 << 30 });
  if (inflated.error) throw new Error(`${codec.name} is needed to unpack ${vmlinuzPath}: ${inflated.error.message}`);
  const elf = inflated.stdout;
  if (!startsWith(elf, ELF_MAGIC)) {
    throw new Error(`${codec.name} failed on ${vmlinuzPath}: ${inflated.stderr.toString().trim() || "output is not an ELF file"}`);
  }
  writeFileSync(outputPath, elf);
}
