// A classic BPF interpreter for the instructions steering programs use, so tests can run the
// fanout program on built frames as the kernel would (an out-of-bounds load returns 0, as the
// kernel's does). Only link-layer-relative loads (SKF_LL_OFF) are taken: a fanout program sees
// the skb with data at the network header, so a plain offset would be a bug the test must catch.
export function runCbpf(program: Uint32Array, frame: Uint8Array): number {
  let a = 0;
  let x = 0;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const LL = -0x200000;
  const load = (size: number, k: number): number | null => {
    const signed = k | 0;
    if (signed < LL || signed >= LL + 0x100000) throw new Error(`cbpf: load at ${signed} is not link-layer relative (SKF_LL_OFF)`);
    const off = signed - LL;
    if (off + size > frame.length) return null;
    return size === 4 ? view.getUint32(off) : size === 2 ? view.getUint16(off) : view.getUint8(off);
  };
  for (let pc = 0, steps = 0; pc * 2 < program.length && steps < 4096; pc++, steps++) {
    const w = program[pc * 2]!;
    const k = program[pc * 2 + 1]!;
    const code = w & 0xffff, jt = (w >>> 16) & 0xff, jf = w >>> 24;
    const cls = code & 0x07;
    const size = [4, 2, 1][(code >> 3) & 0x3] ?? 4;
    const mode = code & 0xe0;
    if (cls === 0x00) { // LD
      const v = mode === 0x20 ? load(size, k) : mode === 0x40 ? load(size, (x + k) | 0) : mode === 0x00 ? k : null;
      if (v === null) return 0;
      a = v >>> 0;
    } else if (cls === 0x01) { // LDX
      if (mode !== 0xa0) throw new Error(`cbpf: ldx mode ${mode}`);
      const v = load(1, k);
      if (v === null) return 0;
      x = (v & 0xf) * 4;
    } else if (cls === 0x04) { // ALU
      const src = code & 0x08 ? x : k;
      const op = code & 0xf0;
      if (op === 0x20) a = Math.imul(a, src) >>> 0;
      else if (op === 0x70) a = a >>> src;
      else if (op === 0xa0) a = (a ^ src) >>> 0;
      else throw new Error(`cbpf: alu op ${op}`);
    } else if (cls === 0x05) { // JMP
      const op = code & 0xf0;
      if (op === 0x00) { pc += k; continue; }
      const v = code & 0x08 ? x : k;
      const taken = op === 0x10 ? a === v : op === 0x40 ? (a & v) !== 0 : op === 0x20 ? a > v : a >= v;
      pc += taken ? jt : jf;
    } else if (cls === 0x06) { // RET
      return (code & 0x10 ? a : k) >>> 0;
    } else if (cls === 0x07) { // MISC
      if (code & 0x80) a = x; else x = a;
    } else {
      throw new Error(`cbpf: class ${cls}`);
    }
  }
  throw new Error('cbpf: ran off the end');
}
