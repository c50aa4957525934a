// Names a real server the same way in every worker: ids come from each worker's own registry
// (they can differ once real servers drained at different times), identities never do. A
// service's or real server's identity never changes, so each object's is built once: the
// workers' reports and the main thread's sums name every real server once a second.

import type { RuntimeDest, RuntimeService } from '../datapath/service-table.js';

const dests = new WeakMap<RuntimeDest, string>();
const services = new WeakMap<RuntimeService, string>();

export function destIdentity(svc: RuntimeService, dest: RuntimeDest): string {
  let key = dests.get(dest);
  if (key === undefined) {
    key = `${serviceIdentity(svc)}>${dest.addr6?.join(".") ?? dest.addr}:${dest.port}${dest.sorry ? '/sorry' : ''}`;
    dests.set(dest, key);
  }
  return key;
}

export function serviceIdentity(svc: RuntimeService): string {
  let key = services.get(svc);
  if (key === undefined) {
    key = `${svc.proto}/${svc.fwmark}/${svc.vip6?.join('.') ?? svc.vip}:${svc.vport}`;
    services.set(svc, key);
  }
  return key;
}
