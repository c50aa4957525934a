// The shape of the native addon as TypeScript sees it: one engine that owns ports, parses each
// received batch into shared metadata records and applies the verdicts TypeScript writes back.

export type PortKind = 'packet' | 'tap' | 'memory' | 'xdp';

export interface PortInfo {
  index: number;
  kind: PortKind;
  name: string;       // interface name (memory ports: the given name)
  ifindex: number;    // 0 for memory ports
  mac: string;        // "aa:bb:cc:dd:ee:ff"
  mtu: number;
  ipv4: number;       // the interface's IPv4 address (host order) when the port opened; 0 if none
}

export interface PortCounters {
  rxFrames: number;
  rxBytes: number;
  rxBatches: number;
  rxParseErrors: number;
  rxRingDrops: number;   // frames the kernel dropped because the ring was full (tp_drops)
  rxRingSwitches: number; // adaptive ring: times it moved between its per-frame and block rings
  rxTruncated: number;   // frames the ring cut short (larger than a ring block): dropped
  rxErrors: number;      // read/poll errors
  txFrames: number;
  txBytes: number;
  txErrors: number;      // frames the kernel refused or that found the socket full; memory
                         // ports: frames sent while 65536 frames / 64 MiB awaited drain()
  verdictErrors: number; // verdicts of frames from this port that could not be applied (egress
                         // port out of range, unknown action, hold slot out of range, rewrite error)
}

export interface PacketPortOptions {
  /** TPACKET_V3 block size in bytes (power of two, >= page size). */
  blockSize?: number;
  /** Number of ring blocks. */
  blockCount?: number;
  /** Block retire timeout in milliseconds. */
  blockTimeoutMs?: number;
  /**
   * 'frame' (default): TPACKET_V2, each frame handed over as it lands (lowest latency;
   * frameCount slots of 2 KiB each, a longer frame
   * arriving whole through the socket's queue). 'block': TPACKET_V3, frames handed over a
   * block at a time (up to blockTimeoutMs of delay at moderate rates). 'adaptive': both, in one fanout group, the
   * kernel filling the per-frame ring while the rate is moderate and the port keeps up, the
   * block ring otherwise (Linux 6.2 or later).
   */
  ring?: 'block' | 'frame' | 'adaptive';
  /** Slots of the 'frame' ring (a multiple of 64 from 64 to 65536, default 16384). */
  frameCount?: number;
  /** Open the socket inside this network namespace (e.g. "/run/netns/NAME"). */
  netns?: string;
  /**
   * Join this AF_PACKET fanout group (0..65535; PACKET_FANOUT_CBPF): each frame goes to one
   * member, the one setFanoutProgram's program names; members count in join order. ARP then
   * arrives through a second socket outside the group, so every member sees it.
   */
  fanoutGroup?: number;
}

export interface TapPortOptions {
  /** Create/attach the TAP device inside this network namespace (e.g. "/run/netns/NAME"). */
  netns?: string;
  /** The engine's own MAC on this port (default: random, locally administered); it must differ
   *  from the kernel-side device's MAC, which a bridge sees as its own. */
  mac?: string;
}

export interface XdpPortOptions {
  /** Open the socket and attach the XDP program inside this network namespace. */
  netns?: string;
  /** Interface receive queue to bind (default 0). */
  queue?: number;
  /** UMEM frame size: 2048 or 4096 (default 4096). */
  frameSize?: number;
  /** UMEM frames, a power of two (default 8192): 7/8 receive (forwarded frames leave from them), 1/8 transmit (built replies, copies). */
  frameCount?: number;
  /** Socket binding: zerocopy needs driver support (not veth); auto tries zerocopy then copy. */
  mode?: 'auto' | 'copy' | 'zerocopy';
  /** XDP program attachment: native (driver) or generic (skb); auto tries native first. */
  attach?: 'auto' | 'native' | 'generic';
}

/** IPv4 addresses (host order) the XDP program steers to the socket; all else reaches the kernel. */
export interface XdpAddresses {
  /** Destinations the director owns (VIPs, FULLNAT local addresses). */
  owned?: number[];
  /** Sources whose traffic routes through the director (NAT real servers' replies), unless to a local address. */
  natSources?: number[];
  /** Destinations that are the kernel's (never steered); the interface's own address always is. */
  local?: number[];
}

export interface XdpStatus {
  attach: 'native' | 'generic';
  mode: 'copy' | 'zerocopy';
  /** Frames that arrived with a partial checksum (local senders); completed before they left. */
  partialChecksums: number;
  /** Where the UMEM frames are (completions reaped first). At rest withKernel = receive,
   *  held = sendingInPlace = waitingFill = txInFlight = 0 and txFree = transmit. */
  frames: XdpFrames;
}

export interface XdpFrames {
  /** Receive frames (fill ring, RX ring, the engine, or sent in place) and transmit frames. */
  receive: number;
  transmit: number;
  /** Receive frames on the fill ring or the RX ring. */
  withKernel: number;
  /** Receive frames back from the kernel or a batch, waiting for room on the fill ring. */
  waitingFill: number;
  /** Receive frames of the batch in progress. */
  held: number;
  /** Receive frames forwarded in place, not yet completed. */
  sendingInPlace: number;
  txFree: number;
  txInFlight: number;
  /** Frames sent from their receive frame, and frames copied into a transmit frame. */
  sentInPlace: number;
  sentCopied: number;
}

/** A frame leaving a memory port, or a rewritten frame from rewrite(). */
export interface OutFrame {
  frame: Buffer;
  /** virtio_net_hdr (10 bytes, little-endian) that goes with it; all zero when plain. */
  vnet: Buffer;
}

export interface EngineOptions {
  /**
   * The flow hash key parse puts meta HASH under (two 32-bit words); default: random, from the
   * system's entropy. Give one only to reproduce a run.
   */
  hashKey?: Uint32Array;
}

export interface NativeEngine {
  /** The flow hash key (see EngineOptions), a new copy on every read: the connection table must hash with it. */
  readonly hashKey: Uint32Array;
  /** Metadata of the current batch: Limits.BATCH_MAX records of Meta.WORDS words. */
  readonly meta: Uint32Array;
  /** Verdicts of the current batch, written by the batch handler. */
  readonly verdict: Uint32Array;
  /** Verdicts for transmitHeld(): Limits.HOLD_SLOTS records (SLOT names the held frame). */
  readonly heldVerdict: Uint32Array;
  /** Metadata of each hold slot as parsed when it was held (Limits.HOLD_SLOTS records). */
  readonly heldMeta: Uint32Array;

  /** AF_PACKET socket bound to an existing interface, TPACKET_V3 RX ring, PACKET_VNET_HDR. */
  addPacketPort(ifname: string, options?: PacketPortOptions): number;
  /**
   * Creates (or attaches to) TAP device ifname, IFF_TAP|IFF_NO_PI|IFF_VNET_HDR, nonblocking,
   * offloads on (partial checksums and TSO arrive described by the vnet header), and brings it up.
   */
  addTapPort(ifname: string, options?: TapPortOptions): number;
  /**
   * An in-memory port: frames come from inject(), frames sent on it are read by drain()
   * (at most 65536 frames / 64 MiB wait; more count as txErrors). keep: false makes it a sink
   * that only counts what is sent (benchmarks).
   */
  addMemoryPort(name: string, mac: string, mtu: number, options?: { keep?: boolean; ipv4?: number }): number;
  /**
   * AF_XDP socket on an existing interface with the director's own XDP program (only IPv4 to
   * addresses given by setXdpAddresses is steered here; ARP arrives through a tap beside it).
   * Throws an Error naming the cause if XDP cannot attach or the addon was built without it.
   */
  addXdpPort(ifname: string, options?: XdpPortOptions): number;
  /**
   * Replaces the steering program of a fanout member's group (classic BPF, two words per
   * instruction: code | jt << 16 | jf << 24, then k); see src/workers/steering.ts.
   */
  setFanoutProgram(port: number, program: Uint32Array): void;
  /** Replaces the addresses an XDP port's program steers to it. */
  setXdpAddresses(port: number, addresses: XdpAddresses): void;
  xdpStatus(port: number): XdpStatus;
  portInfo(port: number): PortInfo;
  counters(port: number): PortCounters;

  /**
   * The batch handler: called once per received batch after parsing, with the ingress port
   * and the number of frames; it must fill verdict records 0..count-1 before returning.
   * Verdict records are zeroed (DROP) before the call. FORWARD leaves by verdict PORT;
   * ARP_REPLY and the ICMP answers leave by the ingress port. If the handler throws, the batch
   * is dropped (inject() rethrows; from polling it is reported as an uncaught exception).
   * close() and inject() may not be called from inside the handler.
   */
  onBatch(handler: (port: number, count: number) => void): void;
  /** Starts readiness polling (uv_poll) on packet and TAP ports. */
  start(): void;
  stop(): void;
  /** Sends one frame built by TypeScript (ARP request, gratuitous ARP, ...). */
  send(port: number, frame: Uint8Array): void;
  /**
   * Applies heldVerdict records 0..count-1 to their held frames and sends them; every named
   * slot is freed (DROP just frees). Throws RangeError, sending nothing, if a SLOT is out of
   * range or empty or an action is HOLD.
   */
  transmitHeld(count: number): void;

  /** Memory ports: frames arrive as if received (the batch handler runs synchronously). */
  inject(port: number, frames: Uint8Array[], vnet?: Uint8Array[]): void;
  /** Memory ports: takes the frames sent on the port since the last drain. */
  drain(port: number): OutFrame[];

  close(): void;
}

export interface DecapsulatorOptions {
  /** Interface where IPIP frames arrive (AF_PACKET, TPACKET_V3, classic BPF filter). */
  interface: string;
  /** TUN device to create (IFF_TUN|IFF_NO_PI|IFF_VNET_HDR); inner packets enter the stack here. */
  tun: string;
  /** Outer destination addresses accepted (dotted IPv4, 1..64), e.g. the real server's own. */
  addresses: string[];
  /** Open both inside this network namespace (e.g. "/run/netns/NAME"). */
  netns?: string;
  blockSize?: number;
  blockCount?: number;
  blockTimeoutMs?: number;
}

export interface DecapsulatorCounters {
  rxFrames: number;      // frames the filter let through
  decapsulated: number;  // inner packets written to the TUN device
  decapBytes: number;
  notForUs: number;      // not IPIP to an accepted address
  malformed: number;     // bad outer/inner headers or lengths
  truncated: number;     // cut short by the ring
  txErrors: number;      // refused by the TUN device
  ringDrops: number;     // dropped by the kernel with the ring full
}

/**
 * The user-space IPIP decapsulator of a TUN-mode real server: runs entirely in C++ on uv_poll.
 * The real server still needs the VIP on lo, ARP suppression, and rp_filter relaxed on the TUN
 * device (the inner source is a client the TUN device has no route to).
 */
export interface NativeDecapsulator {
  start(): void;
  stop(): void;
  counters(): DecapsulatorCounters;
  info(): { tun: string; tunIfindex: number };
  /** Stops and frees everything (the TUN device disappears); closing twice is fine. */
  close(): void;
}

/** Checksum and segmentation offloads of an interface, named as `ethtool -K` names them. */
export interface OffloadState {
  rx: boolean;
  tx: boolean;
  tso: boolean;
  gso: boolean;
  gro: boolean;
}

/** Where a namespace helper acts: the namespace at this path (e.g. "/run/netns/NAME"), or ours. */
export interface NetnsOption {
  netns?: string;
}

/** Options of the VRRP socket: the interface adverts are sent and heard on. */
export interface VrrpSocketOptions {
  interface: string;
  /** Open the socket inside this network namespace (e.g. "/run/netns/NAME"). */
  netns?: string;
  /** 4 (default): VRRPv2/v3 over IPv4; 6: VRRPv3 over IPv6 (ff02::12, from the link-local address). */
  family?: 4 | 6;
}

/**
 * A raw IPv4 socket for protocol 112 bound to one interface, member of 224.0.0.18 there (our
 * own multicast not looped back). Packets are whole IPv4 packets, header included, both ways.
 * With family 6 the same over IPv6 and ff02::12: packets are whole IPv6 packets both ways (the
 * received header rebuilt from the sender, destination and hop limit the kernel reports; the
 * sent one's source, destination and hop limit applied by the kernel, which writes its own).
 */
export interface NativeVrrpSocket {
  /** Calls back with each advert's IPv4 packet, or with the text of a receive error. */
  start(onPacket: (packet: Buffer | string) => void): void;
  /** Sends one IPv4 packet (the header as built, IP_HDRINCL) to dst (host order); throws on failure. Family 6: dst ignored. */
  send(packet: Uint8Array, dst: number): void;
  /** Family 6: the interface's link-local address (16 bytes) the adverts leave from; null for family 4. */
  linkLocal?(): Buffer | null;
  /** Stops receiving and closes the socket; closing twice is fine. */
  close(): void;
}

export interface NativeAddon {
  /**
   * The tables of native/core/records.h as compiled into the addon; the loader checks that they
   * equal src/native/layout.generated.ts, which is what TypeScript code uses.
   */
  layout: unknown;
  /** Whether the addon was built with AF_XDP support (libxdp and libbpf present). */
  xdpBuilt: boolean;
  /** Throws a TypeError for bad options. */
  Engine: new (options?: EngineOptions) => NativeEngine;
  /** Throws (Error naming the cause) if the socket, filter or TUN device cannot be set up. */
  Decapsulator: new (options: DecapsulatorOptions) => NativeDecapsulator;
  /** Throws (Error naming the cause) if the interface or the socket cannot be set up. */
  VrrpSocket: new (options: VrrpSocketOptions) => NativeVrrpSocket;
  /**
   * Pure core: parse one frame into a metadata record (golden-packet tests, offline tools), its
   * HASH under hashKey (default all zero).
   */
  parse(frame: Uint8Array, vnet?: Uint8Array, hashKey?: Uint32Array): Uint32Array;
  /** Pure core: the flow hash (src/native/flow-hash.ts computes the same). */
  flowHash(hashKey: Uint32Array, proto: number, src: number, sport: number, dst: number, dport: number): number;
  /**
   * Pure core: apply one verdict to a copy of the frame as if sent on a port with this MAC and
   * MTU; returns the frames that would leave (more than one when a GSO frame is segmented).
   */
  rewrite(frame: Uint8Array, verdict: Uint32Array, egress: { mac: string; mtu: number; ip?: number },
          vnet?: Uint8Array): OutFrame[] & { error: number };
  /** A non-blocking TCP/UDP socket bound to a device (SO_BINDTODEVICE), address and port; throws on failure. */
  openCheckSocket(type: 'tcp' | 'udp', source: CheckSocketSource): number;
  /** Sends one ICMP echo and calls back once with the verdict (reply, ICMP error or timeout); throws if it cannot send. */
  icmpEcho(options: IcmpEchoOptions, callback: (result: IcmpEchoResult) => void): void;
  /**
   * Drops privileges on every thread for good: only the capabilities numbered in keep stay
   * (bounding set too; securebits NOROOT and NO_CAP_AMBIENT_RAISE, locked; no_new_privs unless
   * noNewPrivs is false); with uid, switches uid, gid and groups. Throws an Error naming the step.
   */
  dropPrivileges(options: { keep: number[]; uid?: number; gid?: number; groups?: number[]; noNewPrivs?: boolean }): void;
  /** Writes text to a file in one write() from inside the namespace (a sysctl); throws the kernel's refusal. */
  writeNetnsFile(path: string, text: string, options?: NetnsOption): void;
  /** Switches the offloads named in want (rx, tx, tso, gso, gro in that order); returns the state after ({} only reads). */
  setOffloads(ifname: string, want: Partial<OffloadState>, options?: NetnsOption): OffloadState;
}

export interface CheckSocketSource {
  device?: string;
  address?: string;
  port?: number;
}

export interface IcmpEchoOptions extends CheckSocketSource {
  dst: string;
  /** Echo identifier (a datagram socket's is the kernel's) and sequence number. */
  id: number;
  seq: number;
  /** Payload bytes, default 56. */
  size?: number;
  timeoutMs: number;
}

export interface IcmpEchoResult {
  ok: boolean;
  detail: string;
  /** The ICMP socket used: datagram (net.ipv4.ping_group_range) or raw (CAP_NET_RAW). */
  mode: 'datagram' | 'raw';
}
