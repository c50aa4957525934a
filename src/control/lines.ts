// Splits a byte stream into newline-terminated lines without ever holding more than a bound:
// a line longer than the bound is reported as soon as it passes it, not when (if ever) it ends.

export interface Split {
  lines: Buffer[];
  /** The current line passed the bound; nothing after it can be framed. */
  overflow: boolean;
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes of a line begun but not ended. */
  get pending(): number {
    return this.size;
  }

  /** At end of input: the last line if it had no newline, else null. */
  flush(): Buffer | null {
    if (this.size === 0) return null;
    const line = Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    return line;
  }

  push(chunk: Buffer): Split {
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      if (this.size + (nl - start) > this.maxBytes) return { lines, overflow: true };
      const tail = chunk.subarray(start, nl);
      lines.push(this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail]));
      this.parts = [];
      this.size = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.size += chunk.length - start;
      if (this.size > this.maxBytes) return { lines, overflow: true };
      this.parts.push(chunk.subarray(start));
    }
    return { lines, overflow: false };
  }
}
