// Which worker a frame belongs to, as a classic BPF program for an AF_PACKET fanout group
// (PACKET_FANOUT_CBPF): the kernel runs it once per frame and hands the frame to member
// (result mod members). Every packet of a client's connections, both directions, lands on one
// worker without any lookup: to an owned VIP the client is the source; a NAT reply is routed
// through the director to the client, its destination; an ICMP error about a packet the director
// sent toward a client quotes that client as the destination; a FULLNAT reply goes to a local
// port, and each worker allocates only ports p with p mod workers = its index (docs/workers.md).

/** Mixes a client address into a well-spread 32-bit value (the kernel takes it mod members). */
export function mixClient(addr: number): number {
  let x = addr >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x45d9f3b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The worker (0..workers-1) the connections of this client address run on. */
export function workerOfClient(addr: number, workers: number): number {
  return mixClient(addr) % workers;
}

/** The worker a FULLNAT local port belongs to. */
export function workerOfLocalPort(port: number, workers: number): number {
  return port % workers;
}

export interface SteeredAddresses {
  /** VIPs and other addresses the director serves (host order). */
  owned: Iterable<number>;
  /** FULLNAT local addresses (host order): replies come to these. */
  local: Iterable<number>;
}

// Classic BPF opcodes (linux/filter.h, linux/bpf_common.h).
const LD = 0x00, LDX = 0x01, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
const W = 0x00, H = 0x08, B = 0x10;
const ABS = 0x20, IND = 0x40, MSH = 0xa0;
const MUL = 0x20, RSH = 0x70, XOR = 0xa0;
const JA = 0x00, JEQ = 0x10, JSET = 0x40;
const K = 0x00, X = 0x08, A = 0x10;
const TAX = 0x00;

const ETH_IPV4 = 0x0800;
const PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17;
/**
 * Loads address the frame from its MAC header (SKF_LL_OFF): a fanout program runs before the
 * kernel pushes the link header back (data starts at the IP header on receive), so plain
 * offsets would read the wrong bytes.
 */
const LL = 0xffe00000;
/** Offsets from the frame start: Ethernet 14, IPv4 fields after it. */
const ETH_TYPE = 12, IP_FRAG = 20, IP_PROTO = 23, IP_SRC = 26, IP_DST = 30, IP_VHL = 14;
/** From the IPv4 header's end (X = its length): L4 destination port; an ICMP error's quote. */
const L4_DPORT = 14 + 2;
const QUOTE_DST = 14 + 8 + 16;
const QUOTE_SPORT = 14 + 8 + 20;
/** Two instructions per address (jeq + ja) keep every conditional jump short (8-bit offsets). */
const MAX_ADDRESSES = 1900;

interface Insn { code: number; k: number; jt?: string; jf?: string; to?: string; label?: string }

/**
 * The steering program, two Uint32 words per instruction (code | jt << 16 | jf << 24, k), as
 * Engine.setFanoutProgram takes it. Non-IPv4 (IPv6, VLAN-tagged frames the kernel did not
 * untag) goes to worker 0; ARP never reaches the group (each worker has it from a side socket).
 */
export function steeringProgram(addresses: SteeredAddresses): Uint32Array {
  const local = [...new Set(addresses.local)];
  const owned = [...new Set(addresses.owned)].filter((a) => !local.includes(a));
  if (local.length + owned.length > MAX_ADDRESSES) {
    throw new Error(`workers: at most ${MAX_ADDRESSES} owned and local addresses can be steered, got ${local.length + owned.length}`);
  }
  const p: Insn[] = [
    { code: LD | H | ABS, k: LL + ETH_TYPE },
    { code: JMP | JEQ | K, k: ETH_IPV4, jt: 'ip', jf: 'zero' },
    { label: 'zero', code: RET | K, k: 0 },
    { label: 'ip', code: LD | W | ABS, k: LL + IP_DST },
  ];
  const match = (addr: number, to: string): void => {
    p.push({ code: JMP | JEQ | K, k: addr >>> 0, jf: `after${p.length}` });
    p.push({ code: JMP | JA, k: 0, to });
    p.push({ label: `after${p.length - 2}`, code: -1, k: 0 });
  };
  for (const a of local) match(a, 'fnat');
  for (const a of owned) match(a, 'fwd');
  // Not ours: routed through the director toward a client (a NAT reply), so hash the destination.
  p.push({ code: JMP | JA, k: 0, to: 'hash' });
  // cBPF jumps only forward: the shared tail (hash) comes last.
  p.push(
    { label: 'fwd', code: LD | B | ABS, k: LL + IP_PROTO },
    { code: JMP | JEQ | K, k: PROTO_ICMP, jf: 'src' },
    { code: LDX | B | MSH, k: LL + IP_VHL },
    { code: LD | W | IND, k: LL + QUOTE_DST },
    { code: JMP | JA, k: 0, to: 'hash' },
    // To a local address: the local port names the worker. A later fragment has no port.
    { label: 'fnat', code: LD | H | ABS, k: LL + IP_FRAG },
    { code: JMP | JSET | K, k: 0x1fff, jt: 'dsthash' },
    { code: LDX | B | MSH, k: LL + IP_VHL },
    { code: LD | B | ABS, k: LL + IP_PROTO },
    { code: JMP | JEQ | K, k: PROTO_TCP, jt: 'port' },
    { code: JMP | JEQ | K, k: PROTO_UDP, jt: 'port' },
    { code: JMP | JEQ | K, k: PROTO_ICMP, jf: 'dsthash' },
    // An ICMP error about a packet sent from a local port quotes it as the source port.
    { code: LD | H | IND, k: LL + QUOTE_SPORT },
    { code: RET | A, k: 0 },
    { label: 'port', code: LD | H | IND, k: LL + L4_DPORT },
    { code: RET | A, k: 0 },
    { label: 'src', code: LD | W | ABS, k: LL + IP_SRC },
    { code: JMP | JA, k: 0, to: 'hash' },
    { label: 'dsthash', code: LD | W | ABS, k: LL + IP_DST },
    { label: 'hash', code: MISC | TAX, k: 0 },
    { code: ALU | RSH | K, k: 16 },
    { code: ALU | XOR | X, k: 0 },
    { code: ALU | MUL | K, k: 0x45d9f3b },
    { code: MISC | TAX, k: 0 },
    { code: ALU | RSH | K, k: 16 },
    { code: ALU | XOR | X, k: 0 },
    { code: RET | A, k: 0 },
  );
  return assemble(p);
}

/** Resolves labels into relative jumps; placeholder entries (code -1) only carry a label. */
function assemble(source: Insn[]): Uint32Array {
  const at = new Map<string, number>();
  const code: Insn[] = [];
  for (const insn of source) {
    if (insn.label !== undefined) at.set(insn.label, code.length);
    if (insn.code >= 0) code.push(insn);
  }
  const out = new Uint32Array(code.length * 2);
  const offset = (from: number, label: string | undefined): number => {
    if (label === undefined) return 0;
    const target = at.get(label);
    if (target === undefined || target <= from) throw new Error(`steering: bad jump to ${label}`);
    return target - from - 1;
  };
  code.forEach((insn, i) => {
    const jt = offset(i, insn.jt);
    const jf = offset(i, insn.jf);
    if (jt > 255 || jf > 255) throw new Error('steering: conditional jump out of range');
    out[i * 2] = (insn.code | (jt << 16) | (jf << 24)) >>> 0;
    out[i * 2 + 1] = insn.to !== undefined ? offset(i, insn.to) : insn.k >>> 0;
  });
  return out;
}
