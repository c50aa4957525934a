// `director realserver setup | teardown`: prepares a real server for DR or TUN (the VIP on lo, ARP
// suppression, relaxed rp_filter), checks it (--check), and undoes it.

import { isIPv4 } from '../config/keepalived-values.js';
import type { RealServerMode } from '../realserver/plan.js';
import { checkRealServer, setupRealServer, teardownRealServer, type Outcome } from '../realserver/realserver.js';
import { fileStateStore, type StateStore } from '../realserver/state.js';
import { localSystem, type RealServerSystem } from '../realserver/system.js';
import { findDecapsulator } from '../realserver/tunnel.js';
import { noPositionals, parseArgs, UsageError } from './args.js';
import { EXIT_FAIL, EXIT_OK, type CliIo } from './io.js';

export const REALSERVER_HELP = `usage: director realserver setup --vip VIP --mode dr|tun [--interface IF] [--check]
       director realserver teardown --vip VIP

setup     puts VIP/32 on lo, sets arp_ignore=1 and arp_announce=2 on all, lo and IF, and relaxes
          rp_filter (2) on all and IF where it is strict. Idempotent. In tun mode it then runs
          the user-space IPIP decapsulator on IF in the foreground (needs --interface).
--check   changes nothing: prints one 'missing:' line per item not in place; exit 1 if any.
teardown  removes VIP/32 from lo and restores the sysctls setup changed (unless another VIP
          set up on this host still needs them). State: $DIRECTOR_STATE_DIR or /run/director.

exit status: 0 done / all set, 1 something missing or failed, 2 usage error`;

export interface RealServerDeps {
  system(): RealServerSystem;
  store(): StateStore;
  /** The TUN-mode decapsulator (the native one unless a test fakes it). */
  decapsulator?: typeof findDecapsulator;
}

const defaultDeps: RealServerDeps = { system: localSystem, store: () => fileStateStore(), decapsulator: findDecapsulator };

export async function realserverCommand(argv: readonly string[], io: CliIo, deps = defaultDeps): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(REALSERVER_HELP);
    return sub === undefined ? usage('missing subcommand (setup or teardown)') : EXIT_OK;
  }
  if (sub === 'setup') return setup(rest, io, deps);
  if (sub === 'teardown') return teardown(rest, io, deps);
  return usage(`unknown realserver subcommand '${sub}' (setup or teardown)`);
}

function usage(message: string): never {
  throw new UsageError(message);
}

function vipOption(text: string | undefined): string {
  if (text === undefined || !isIPv4(text)) usage(`option '--vip' must be an IPv4 address, got '${text ?? ''}'`);
  return text;
}

async function setup(argv: readonly string[], io: CliIo, deps: RealServerDeps): Promise<number> {
  const parsed = parseArgs(argv, {
    vip: { value: true, required: true }, mode: { value: true, required: true },
    interface: { value: true }, check: { value: false },
  });
  if (parsed.help) {
    io.out(REALSERVER_HELP);
    return EXIT_OK;
  }
  noPositionals(parsed);
  const vip = vipOption(parsed.values.vip);
  const mode = parsed.values.mode as string;
  if (mode !== 'dr' && mode !== 'tun') usage(`option '--mode' must be dr or tun, got '${mode}'`);
  const iface = parsed.values.interface;
  if (mode === 'tun' && iface === undefined) usage('--mode tun needs --interface (where the IPIP packets arrive)');
  const plan = { vip, mode: mode as RealServerMode, ...(iface !== undefined ? { interface: iface } : {}) };
  if (parsed.flags.has('check')) return print(checkRealServer(plan, deps.system()), io);
  const code = print(setupRealServer(plan, deps.system(), deps.store()), io);
  if (code !== EXIT_OK || mode !== 'tun') return code;
  return runDecapsulator(vip, iface as string, io, deps.decapsulator ?? findDecapsulator);
}

/** TUN mode: the decapsulator runs in the foreground until a signal. */
async function runDecapsulator(vip: string, iface: string, io: CliIo, find: typeof findDecapsulator): Promise<number> {
  const { factory, reason } = await find();
  if (!factory) {
    io.err(`error: tun mode: ${reason}; ARP suppression is in place, but IPIP packets will not be decapsulated`);
    return EXIT_FAIL;
  }
  const running = await factory({ vip, interface: iface });
  io.out(`decapsulating IPIP for ${vip} on ${iface}; stop with Ctrl-C`);
  const signal = await io.waitForSignal();
  await running.stop();
  io.out(`decapsulator: ${signal}, stopped ${JSON.stringify(running.stats())}`);
  return EXIT_OK;
}

async function teardown(argv: readonly string[], io: CliIo, deps: RealServerDeps): Promise<number> {
  const parsed = parseArgs(argv, { vip: { value: true, required: true } });
  if (parsed.help) {
    io.out(REALSERVER_HELP);
    return EXIT_OK;
  }
  noPositionals(parsed);
  return print(teardownRealServer(vipOption(parsed.values.vip), deps.system(), deps.store()), io);
}

function print(outcome: Outcome, io: CliIo): number {
  for (const line of outcome.lines) (line.startsWith('error') ? io.err : io.out)(line);
  return outcome.code === 0 ? EXIT_OK : EXIT_FAIL;
}
