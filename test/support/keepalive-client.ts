// One long-lived HTTP/1.1 keep-alive connection from a lab namespace: a GET every 100 ms over the
// same TCP connection until stopped (SIGTERM) or 120 s pass, then one JSON line saying how many
// answers came, from which servers, over how many local ports (1: the connection never broke);
// a line per answer meanwhile ("first SERVER", then "answer N"), so a test can wait for answers.
// Tests use it to show that a change to a running director leaves an established flow alone.

import { spawnInNamespace, type NsProcess } from '../../src/lab/process.js';

const CLIENT = String.raw`
const http = require('node:http');
const [host, port] = process.argv[1].split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const out = { answers: 0, failures: [], servers: {}, localPorts: [] };
let stopping = false;
function finish() {
  stopping = true;
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}
process.on('SIGTERM', finish);
setTimeout(finish, 120000).unref();
function once() {
  if (stopping) return;
  const req = http.get({ host, port: Number(port), path: '/', agent }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => { body += d; });
    res.on('end', () => {
      out.answers++;
      out.servers[body] = (out.servers[body] || 0) + 1;
      const lp = req.socket && req.socket.localPort;
      if (lp && !out.localPorts.includes(lp)) out.localPorts.push(lp);
      process.stdout.write(out.answers === 1 ? 'first ' + body + '\n' : 'answer ' + out.answers + '\n');
      setTimeout(once, 100);
    });
  });
  req.setTimeout(5000, () => req.destroy(new Error('no answer in 5 s')));
  req.on('error', (e) => { out.failures.push(e.message); setTimeout(once, 100); });
}
once();
`;

export interface KeepAliveSummary {
  answers: number;
  failures: string[];
  servers: Record<string, number>;
  localPorts: number[];
}

export interface KeepAlive {
  process: NsProcess;
  /** The real server that answered first. */
  server: string;
  /** Answers so far. */
  answers(): number;
  /** Stops the client and reads its summary. */
  stop(): Promise<KeepAliveSummary>;
}

export async function startKeepAlive(ns: string, target: string): Promise<KeepAlive> {
  const p = spawnInNamespace(ns, [process.execPath, '-e', CLIENT, target]);
  const first = await p.waitFor(/^first (\S+)$/m, 15_000);
  return {
    process: p,
    server: first[1] ?? '',
    answers: () => {
      const all = [...p.stdout.matchAll(/^answer (\d+)$/gm)];
      return all.length === 0 ? 1 : Number(all[all.length - 1]![1]);
    },
    stop: async () => {
      await p.stop(5000);
      const line = p.stdout.trim().split('\n').pop() ?? '';  // the summary comes last
      return JSON.parse(line) as KeepAliveSummary;
    },
  };
}
