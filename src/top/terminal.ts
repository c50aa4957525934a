// The terminal `director top` draws on: full screen (the alternate screen, cursor hidden, keys
// read one at a time) while it runs, redrawn in place, and given back as it was on close.

/** A terminal to draw whole screens on. */
export interface Terminal {
  readonly columns: number;
  readonly rows: number;
  /** Takes the screen over; onKey gets each key pressed, onResize a new size. */
  open(onKey: (key: string) => void, onResize: () => void): void;
  /** Replaces what the screen shows with these lines (each already cut to the width). */
  draw(lines: readonly string[]): void;
  /** Gives the screen back: the text that was there before, the cursor, line-buffered input. */
  close(): void;
}

const ALT_SCREEN_ON = '\x1b[?1049h';
const ALT_SCREEN_OFF = '\x1b[?1049l';
const CURSOR_HIDE = '\x1b[?25l';
const CURSOR_SHOW = '\x1b[?25h';
const HOME = '\x1b[H';
const CLEAR_LINE_END = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';

/** The process's own terminal, or null when standard output is not one (top prints one snapshot then). */
export function processTerminal(): Terminal | null {
  const out = process.stdout;
  const input = process.stdin;
  if (!out.isTTY) return null;
  let keyListener: ((data: Buffer) => void) | null = null;
  let resizeListener: (() => void) | null = null;
  return {
    get columns() { return out.columns || 80; },
    get rows() { return out.rows || 24; },
    open(onKey, onResize) {
      out.write(ALT_SCREEN_ON + CURSOR_HIDE);
      resizeListener = onResize;
      out.on('resize', onResize);
      // Without a terminal on stdin there are no keys: SIGINT still ends top.
      if (!input.isTTY) return;
      input.setRawMode(true);
      keyListener = (data) => {
        for (const key of data.toString('utf8')) onKey(key);
      };
      input.on('data', keyListener);
      input.resume();
    },
    draw(lines) {
      // Overwrite in place, line by line, instead of clearing first: no flicker.
      out.write(HOME + lines.map((l) => l + CLEAR_LINE_END).join('\r\n') + CLEAR_BELOW);
    },
    close() {
      if (resizeListener !== null) out.off('resize', resizeListener);
      if (keyListener !== null) {
        input.off('data', keyListener);
        input.setRawMode(false);
        input.pause();
      }
      out.write(CURSOR_SHOW + ALT_SCREEN_OFF);
    },
  };
}
