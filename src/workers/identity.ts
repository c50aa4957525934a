// Names a real server the same way in every worker: ids come from each worker's own registry
// (they can differ once real servers drained at different times), identities never do.

import type { RuntimeDest, RuntimeService } from '../datapath/service-table.js';

export function destIdentity(svc: RuntimeService, dest: RuntimeDest): string {
  return `${svc.proto}/${svc.fwmark}/${svc.vip}:${svc.vport}>${dest.addr}:${dest.port}${dest.sorry ? '/sorry' : ''}`;
}

export function serviceIdentity(svc: RuntimeService): string {
  return `${svc.proto}/${svc.fwmark}/${svc.vip}:${svc.vport}`;
}
