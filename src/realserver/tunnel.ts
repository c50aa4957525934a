// The TUN-mode real server's user-space IPIP decapsulator (IPIP in through AF_PACKET, inner packet
// into the local stack through a TUN device), found in the native addon when it provides one.

export interface RunningDecapsulator {
  /** Packets decapsulated and dropped so far, for the status line. */
  stats(): Record<string, number>;
  stop(): Promise<void>;
}

export interface DecapsulatorOptions {
  vip: string;
  interface: string;
}

export type DecapsulatorFactory = (options: DecapsulatorOptions) => Promise<RunningDecapsulator>;

/**
 * Returns the decapsulator factory, or null with the reason when this build has none. The
 * native addon does not export a Decapsulator yet; when it does, this is where it is wrapped
 * (start it on options.interface for options.vip) and nothing else in realserver changes.
 */
export async function findDecapsulator(): Promise<{ factory: DecapsulatorFactory | null; reason: string }> {
  return { factory: null, reason: 'this build has no user-space IPIP decapsulator yet (the native addon does not export Decapsulator)' };
}
