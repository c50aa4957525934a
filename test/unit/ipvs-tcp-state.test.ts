// TCP state walks through the IPVS table: normal open/close through a NAT director (input and
// output), RST, simultaneous close, DR/TUN input-only, timeouts and active/inactive accounting.
import assert from 'node:assert/strict';
import {
  isActive, nextState, TCP_STATE_NAMES, TcpDir, TcpFlag, TcpState, timeoutFor, UDP_TIMEOUT_S,
} from '../../src/ipvs/tcp-state.js';

const { SYN, ACK, FIN, RST, PSH } = TcpFlag;
type Step = ['in' | 'out' | 'in-only', number, keyof typeof TcpState];

function walk(steps: Step[]): void {
  let s: number = TcpState.NONE;
  for (const [dir, flags, want] of steps) {
    const d = dir === 'in' ? TcpDir.INPUT : dir === 'out' ? TcpDir.OUTPUT : TcpDir.INPUT_ONLY;
    s = nextState(s, d, flags);
    assert.equal(TCP_STATE_NAMES[s], want, `${dir} flags ${flags}`);
  }
}

describe('ipvs tcp-state walks', () => {
  const walks: { desc: string; steps: Step[] }[] = [
    { desc: 'NAT: open, data, client closes first', steps: [
      ['in', SYN, 'SYN_RECV'], ['out', SYN | ACK, 'SYN_RECV'], ['in', ACK, 'ESTABLISHED'],
      ['in', PSH | ACK, 'ESTABLISHED'], ['out', ACK, 'ESTABLISHED'],
      ['in', FIN | ACK, 'CLOSE_WAIT'], ['out', ACK, 'CLOSE_WAIT'], ['out', FIN | ACK, 'TIME_WAIT'], ['in', ACK, 'TIME_WAIT']] },
    { desc: 'NAT: server closes first', steps: [
      ['in', SYN, 'SYN_RECV'], ['out', SYN | ACK, 'SYN_RECV'], ['in', ACK, 'ESTABLISHED'],
      ['out', FIN | ACK, 'FIN_WAIT'], ['in', ACK, 'FIN_WAIT'], ['in', FIN | ACK, 'TIME_WAIT']] },
    { desc: 'RST from the client in ESTABLISHED', steps: [
      ['in', SYN, 'SYN_RECV'], ['out', SYN | ACK, 'SYN_RECV'], ['in', ACK, 'ESTABLISHED'], ['in', RST, 'CLOSE']] },
    { desc: 'RST from the server answering a SYN (port closed)', steps: [['in', SYN, 'SYN_RECV'], ['out', RST | ACK, 'CLOSE']] },
    { desc: 'RST wins over SYN in the same segment', steps: [['in', SYN | RST, 'CLOSE']] },
    { desc: 'simultaneous close: FINs cross', steps: [
      ['in', SYN, 'SYN_RECV'], ['out', SYN | ACK, 'SYN_RECV'], ['in', ACK, 'ESTABLISHED'],
      ['in', FIN | ACK, 'CLOSE_WAIT'], ['out', FIN | ACK, 'TIME_WAIT'], ['in', ACK, 'TIME_WAIT'], ['out', ACK, 'TIME_WAIT']] },
    { desc: 'DR/TUN input-only: open and close seen one way', steps: [
      ['in-only', SYN, 'SYN_RECV'], ['in-only', ACK, 'ESTABLISHED'], ['in-only', PSH | ACK, 'ESTABLISHED'],
      ['in-only', FIN | ACK, 'FIN_WAIT'], ['in-only', ACK, 'FIN_WAIT']] },
    { desc: 'input-only RST in SYN_RECV stays (a spoofed RST must not close it)', steps: [['in-only', SYN, 'SYN_RECV'], ['in-only', RST, 'SYN_RECV']] },
    { desc: 'a lone ACK without a SYN closes a NONE connection (kernel: sNO -> sCL)', steps: [['in', ACK, 'CLOSE']] },
    { desc: 'a packet with no SYN/FIN/ACK/RST gives CLOSE', steps: [['in', SYN, 'SYN_RECV'], ['in', PSH, 'CLOSE']] },
    { desc: 'output SYN first: director-originated (SYN_SENT)', steps: [['out', SYN, 'SYN_SENT'], ['in', SYN | ACK, 'ESTABLISHED']] },
  ];
  for (const w of walks) it(w.desc, () => walk(w.steps));

  it('kernel default timeouts; only ESTABLISHED is active', () => {
    const want: Record<string, number> = { NONE: 2, ESTABLISHED: 900, SYN_SENT: 120, SYN_RECV: 60, FIN_WAIT: 120, TIME_WAIT: 120, CLOSE: 10, CLOSE_WAIT: 60, LAST_ACK: 30, LISTEN: 120, SYNACK: 120 };
    for (const [name, secs] of Object.entries(want)) assert.equal(timeoutFor(TcpState[name as keyof typeof TcpState]), secs, name);
    assert.equal(UDP_TIMEOUT_S, 300);
    assert.deepEqual(TCP_STATE_NAMES.filter((_, s) => isActive(s)), ['ESTABLISHED']);
  });

  it('bad input never throws: out-of-range state or direction gives CLOSE', () => {
    assert.equal(nextState(99, TcpDir.INPUT, SYN), TcpState.CLOSE);
    assert.equal(nextState(TcpState.NONE, 7, SYN), TcpState.CLOSE);
    assert.equal(timeoutFor(-1), 10);
  });
});
