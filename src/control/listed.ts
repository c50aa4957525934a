// Which services and real servers the views (stats, metrics, rates) show: those of the table in
// force and the removed ones still draining; a drained one drops out once its id is reaped.

import type { RuntimeDest, RuntimeService, ServiceTable } from '../datapath/service-table.js';

/** The table's real servers, then the draining ones connections still point at. */
export function listedDests(table: ServiceTable): RuntimeDest[] {
  const draining = [...table.registry.draining].flatMap((id) => table.destById[id] ?? []);
  return [...table.dests, ...draining];
}

/** The table's services, then removed ones their draining real servers still hold. */
export function listedServices(table: ServiceTable): RuntimeService[] {
  const held = [...table.registry.drainingServices()].flatMap((id) => table.serviceById[id] ?? []);
  return [...table.services, ...held];
}

/** Whether dest is a removed real server finishing its connections (a configured one never is). */
export function isDraining(table: ServiceTable, dest: RuntimeDest): boolean {
  return table.registry.draining.has(dest.id);
}
