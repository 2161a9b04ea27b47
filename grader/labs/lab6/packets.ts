// Ethernet frames built byte by byte for BPF_PROG_TEST_RUN: well-formed ones, and ones cut
// short at every layer, to see what a student's parser does with each. Checksums are left at
// zero: XDP runs before anything verifies them.
export const ethertype = { ipv4: 0x0800, ipv6: 0x86dd, arp: 0x0806 } as const;
export const ipProtocol = { tcp: 6, udp: 17 } as const;

export type Transport = keyof typeof ipProtocol;

const ethernetLength = 14;
const udpLength = 8;
const tcpLength = 20;

export function ethernet(type: number, payload: Uint8Array = new Uint8Array()): Buffer {
  const frame = Buffer.alloc(ethernetLength + payload.length);
  Buffer.from([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]).copy(frame); // locally administered MACs
  frame.writeUInt16BE(type, 12);
  frame.set(payload, ethernetLength);
  return frame;
}

/** An IPv4 header of `optionWords` extra 32-bit words (ihl = 5 + optionWords), then `payload`. */
export function ipv4(protocol: number, payload: Uint8Array, optionWords = 0): Buffer {
  const headerLength = (5 + optionWords) * 4;
  const packet = Buffer.alloc(headerLength + payload.length);
  packet[0] = 0x40 | (5 + optionWords);
  packet.writeUInt16BE(packet.length, 2);
  packet[8] = 64; // ttl
  packet[9] = protocol;
  Buffer.from([10, 0, 0, 2, 10, 0, 0, 1]).copy(packet, 12);
  // Options: NOP (1) bytes, which a parser must skip through ihl, not by their content.
  packet.fill(1, 20, headerLength);
  packet.set(payload, headerLength);
  return packet;
}

export function ipv6(nextHeader: number, payload: Uint8Array): Buffer {
  const packet = Buffer.alloc(40 + payload.length);
  packet[0] = 0x60;
  packet.writeUInt16BE(payload.length, 4);
  packet[6] = nextHeader;
  packet[7] = 64; // hop limit
  packet[23] = 2; // fd00::2 -> fd00::1
  packet[39] = 1;
  packet[8] = packet[24] = 0xfd;
  packet.set(payload, 40);
  return packet;
}

export function udp(destinationPort: number, payload: Uint8Array = Buffer.from("grader")): Buffer {
  const datagram = Buffer.alloc(udpLength + payload.length);
  datagram.writeUInt16BE(40000, 0);
  datagram.writeUInt16BE(destinationPort, 2);
  datagram.writeUInt16BE(datagram.length, 4);
  datagram.set(payload, udpLength);
  return datagram;
}

export function tcp(destinationPort: number): Buffer {
  const segment = Buffer.alloc(tcpLength);
  segment.writeUInt16BE(40000, 0);
  segment.writeUInt16BE(destinationPort, 2);
  segment[12] = 5 << 4; // data offset: 5 words
  segment[13] = 0x02; // SYN
  return segment;
}

/** A complete frame: Ethernet, IPv4 or IPv6, then a UDP or TCP header to `port`. */
export function frame(ip: "ipv4" | "ipv6", transport: Transport, port: number, ipv4OptionWords = 0): Buffer {
  const l4 = transport === "udp" ? udp(port) : tcp(port);
  const l3 = ip === "ipv4" ? ipv4(ipProtocol[transport], l4, ipv4OptionWords) : ipv6(ipProtocol[transport], l4);
  return ethernet(ethertype[ip], l3);
}

export interface Truncated {
  /** What is cut short, for messages: "IPv4 header (10 of 20 bytes)". */
  label: string;
  bytes: Buffer;
}

/**
 * Frames to a blocked UDP port cut short inside each header. BPF_PROG_TEST_RUN refuses XDP
 * input shorter than an Ethernet header, so the cuts start with the IP header.
 */
export function truncatedFrames(blockedPort: number): Truncated[] {
  const cut = (label: string, whole: Buffer, keep: number, layerStart: number, layerLength: number): Truncated => ({
    label: `${label} (${keep - layerStart} of ${layerLength} bytes)`,
    bytes: whole.subarray(0, keep),
  });
  const v4 = frame("ipv4", "udp", blockedPort);
  const v4options = frame("ipv4", "udp", blockedPort, 3);
  const v6 = frame("ipv6", "udp", blockedPort);
  const v4tcp = frame("ipv4", "tcp", blockedPort);
  return [
    cut("IPv4 header", v4, ethernetLength + 10, ethernetLength, 20),
    cut("IPv4 header with options", v4options, ethernetLength + 24, ethernetLength, 32),
    cut("UDP header after IPv4", v4, ethernetLength + 20 + 4, ethernetLength + 20, udpLength),
    cut("UDP header after IPv4 with options", v4options, ethernetLength + 32 + 2, ethernetLength + 32, udpLength),
    cut("IPv6 header", v6, ethernetLength + 30, ethernetLength, 40),
    cut("UDP header after IPv6", v6, ethernetLength + 40 + 6, ethernetLength + 40, udpLength),
    cut("TCP header after IPv4", v4tcp, ethernetLength + 20 + 12, ethernetLength + 20, tcpLength),
  ];
}
