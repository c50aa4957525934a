// --metrics: a bare port listens on loopback only; an address is used only when given; anything
// else is refused with what was wrong. The server really binds where the option says.
import assert from 'node:assert/strict';
import net from 'node:net';
import { parseMetricsAddress, serveMetrics } from '../../src/metrics/http.js';

describe('--metrics address', () => {
  it('binds a bare PORT to 127.0.0.1, never to every address', () => {
    assert.deepEqual(parseMetricsAddress('9100'), { host: '127.0.0.1', port: 9100 });
    assert.deepEqual(parseMetricsAddress('1'), { host: '127.0.0.1', port: 1 });
  });

  it('takes an address only when one is given: ADDR:PORT or [ADDR6]:PORT', () => {
    assert.deepEqual(parseMetricsAddress('198.19.0.2:9100'), { host: '198.19.0.2', port: 9100 });
    assert.deepEqual(parseMetricsAddress('0.0.0.0:9100'), { host: '0.0.0.0', port: 9100 });
    assert.deepEqual(parseMetricsAddress('[2001:db8::2]:9100'), { host: '2001:db8::2', port: 9100 });
    assert.deepEqual(parseMetricsAddress('[::1]:9100'), { host: '::1', port: 9100 });
  });

  it('refuses anything else, saying what is expected', () => {
    for (const bad of ['', '0', '65536', 'localhost:9100', ':9100', '198.19.0.2:', '2001:db8::2:9100', '198.19.0.300:9100', '9100 ', 'x']) {
      assert.throws(() => parseMetricsAddress(bad), /must be PORT, ADDR:PORT or \[ADDR6\]:PORT/, bad);
    }
  });

  it('listens on loopback for a bare port: the bound socket says 127.0.0.1', async () => {
    // A free port from the kernel, then the metrics server on it the way `--metrics PORT` does.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const server = await serveMetrics(parseMetricsAddress(String(port)), async () => 'x 1\n', 'text/plain');
    try {
      assert.equal(server.address, `127.0.0.1:${port}`);
      const connected = await new Promise<string>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => { resolve(s.remoteAddress ?? ''); s.destroy(); });
        s.on('error', reject);
      });
      assert.equal(connected, '127.0.0.1');
    } finally {
      await server.close();
    }
  });
});
