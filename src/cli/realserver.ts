// `director realserver setup | teardown`: prepares a real server for DR or TUN (the VIP on lo, ARP
// suppression, relaxed rp_filter; IPv6 on for an IPv6 VIP), checks it (--check), and undoes it.

import { isIPv4 } from '../net/addr.js';
import { formatIpv6, isIPv6, parseIpv6 } from '../net/addr6.js';
import type { RealServerMode } from '../realserver/plan.js';
import { checkRealServer, setupRealServer, teardownRealServer, type Outcome } from '../realserver/realserver.js';
import { fileStateStore, type StateStore } from '../realserver/state.js';
import { localSystem, type RealServerSystem } from '../realserver/system.js';
import { startDecapsulator, type DecapsulatorFactory } from '../realserver/tunnel.js';
import { UsageError, type Values } from './args.js';
import { defineCommand, type CommandGroup } from './command.js';
import { EXIT_FAIL, EXIT_OK, type CliIo } from './io.js';

export interface RealServerDeps {
  system(): RealServerSystem;
  store(): StateStore;
  /** The TUN-mode decapsulator (the native one unless a test fakes it). */
  decapsulator?: DecapsulatorFactory;
}

const defaultDeps: RealServerDeps = { system: localSystem, store: () => fileStateStore(), decapsulator: startDecapsulator };

const SETUP_OPTIONS = {
  vip: { value: 'VIP', required: true, help: 'the virtual address (IPv4 or IPv6) this real server serves' },
  mode: { choices: ['dr', 'tun'], required: true, help: 'forwarding method of the director in front' },
  interface: { value: 'IF', help: 'the interface facing the director (tun: where the tunnelled packets arrive; needed)' },
  check: { help: "change nothing: print one 'missing:' line per item not in place; exit 1 if any" },
} as const;

const TEARDOWN_OPTIONS = {
  vip: { value: 'VIP', required: true, help: 'the virtual address set up before' },
} as const;

const EXIT_STATUS = 'exit status: 0 done / all set, 1 something missing or failed, 2 usage error';

/** `director realserver setup|teardown` with these dependencies (tests give a fake system). */
export function realserverCommands(deps: RealServerDeps = defaultDeps): CommandGroup {
  return {
    name: 'realserver',
    summary: 'prepare (or check, or undo) a real server for DR or TUN',
    about: `Prepares a real server for a director in DR or TUN mode: the VIP on lo, ARP suppression, relaxed
rp_filter (an IPv6 VIP: IPv6 on instead); in TUN mode also the user-space tunnel decapsulator
(IPIP, 6in4, ip6ip6, 4in6). Needs root.`,
    commands: {
      setup: defineCommand(
        {
          name: 'realserver setup',
          summary: 'put the VIP on lo, suppress ARP for it, relax rp_filter (or --check)',
          about: `Puts VIP/32 on lo, sets arp_ignore=1 and arp_announce=2 on all, lo and IF, and relaxes
rp_filter (2) on all and IF where it is strict. An IPv6 VIP goes on lo as VIP/128 (nodad), with
disable_ipv6=0 on all, lo and IF; Linux never answers neighbour solicitations for it on IF.
Idempotent. In tun mode it then runs the user-space decapsulator on IF in the foreground until
SIGINT or SIGTERM.`,
          options: SETUP_OPTIONS,
          footer: EXIT_STATUS,
        },
        (v: Values<typeof SETUP_OPTIONS>, io: CliIo) => setup(v, io, deps),
      ),
      teardown: defineCommand(
        {
          name: 'realserver teardown',
          summary: 'undo setup for a VIP',
          about: `Removes VIP/32 (or VIP/128) from lo and restores the sysctls setup changed (unless another VIP set up on
this host still needs them). State: $DIRECTOR_STATE_DIR or /run/director.`,
          options: TEARDOWN_OPTIONS,
          footer: EXIT_STATUS,
        },
        async (v: Values<typeof TEARDOWN_OPTIONS>, io: CliIo) =>
          print(teardownRealServer(vipOption(v.vip), deps.system(), deps.store()), io),
      ),
    },
  };
}

/** The VIP as ip prints it (IPv6 lowercase and compressed, RFC 5952), so setup and teardown find it on lo. */
function vipOption(text: string): string {
  if (isIPv4(text)) return text;
  if (isIPv6(text)) return formatIpv6(parseIpv6(text));
  throw new UsageError(`option '--vip' must be an IPv4 or IPv6 address, got '${text}'`);
}

async function setup(v: Values<typeof SETUP_OPTIONS>, io: CliIo, deps: RealServerDeps): Promise<number> {
  const vip = vipOption(v.vip);
  const iface = v.interface;
  if (v.mode === 'tun' && iface === undefined) throw new UsageError('--mode tun needs --interface (where the tunnelled packets arrive)');
  const plan = { vip, mode: v.mode as RealServerMode, ...(iface !== undefined ? { interface: iface } : {}) };
  if (v.check) return print(checkRealServer(plan, deps.system()), io);
  const code = print(setupRealServer(plan, deps.system(), deps.store()), io);
  if (code !== EXIT_OK || iface === undefined || v.mode !== 'tun') return code;
  return runDecapsulator(vip, iface, io, deps.decapsulator ?? startDecapsulator);
}

/** TUN mode: the decapsulator runs in the foreground until a signal. */
async function runDecapsulator(vip: string, iface: string, io: CliIo, start: DecapsulatorFactory): Promise<number> {
  const running = await start({ vip, interface: iface });
  io.out(`decapsulating IPIP, 6in4, ip6ip6 and 4in6 for ${vip} on ${iface}; stop with Ctrl-C`);
  const signal = await io.waitForSignal();
  await running.stop();
  io.out(`decapsulator: ${signal}, stopped ${JSON.stringify(running.stats())}`);
  return EXIT_OK;
}

function print(outcome: Outcome, io: CliIo): number {
  for (const line of outcome.lines) (line.startsWith('error') ? io.err : io.out)(line);
  return outcome.code === 0 ? EXIT_OK : EXIT_FAIL;
}
