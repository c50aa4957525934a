// The director under test as its own process (run compiled, `node dist/tools/bench/director-proc.js`,
// inside the DUT namespace): embeds Director on one interface with a keepalived.conf, prints
// "ready", answers each stdin line with one "stats {json}" line, and stops on SIGTERM.
import { createInterface } from 'node:readline';
import { loadKeepalivedConfig } from '../../src/config/load.js';
import { Director } from '../../src/director.js';

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`director-proc: --${name} is required`);
  return v;
}

async function main(): Promise<void> {
  const capacity = process.argv.includes('--capacity') ? Number(arg('capacity')) : undefined;
  const io = process.argv.includes('--io') ? arg('io') : undefined;
  if (io !== undefined && io !== 'xdp' && io !== 'packet' && io !== 'auto') throw new Error('director-proc: --io is xdp, packet or auto');
  const rxRing = process.argv.includes('--rx-ring') ? arg('rx-ring') : undefined;
  if (rxRing !== undefined && rxRing !== 'block' && rxRing !== 'frame' && rxRing !== 'adaptive') throw new Error('director-proc: --rx-ring is adaptive, block or frame');
  const workers = process.argv.includes('--workers') ? Number(arg('workers')) : undefined;
  const director = await Director.start({
    ...(workers !== undefined ? { workers } : {}),
    ...(io !== undefined ? { io } : {}),
    ...(rxRing !== undefined ? { rxRing } : {}),
    config: loadKeepalivedConfig(arg('config')),
    interface: arg('interface'),
    ...(capacity !== undefined ? { connCapacity: capacity } : {}),
    log: (line) => console.error(line),
  });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await director.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => { void stop(); });
  process.on('SIGINT', () => { void stop(); });
  createInterface({ input: process.stdin }).on('line', () => {
    console.log(`stats ${JSON.stringify(director.stats())}`);
  });
  console.log('ready');
}

main().catch((err: unknown) => {
  console.error(`director-proc: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
