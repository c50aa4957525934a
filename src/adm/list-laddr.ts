// `adm -G`: director's FULLNAT local address groups, laid out like DPVS's ipvsadm --get-laddr
// (a row per group with its size, then a row per address with the local ports in use on it).

import type { AdmLaddrGroup, AdmSnapshot } from './model.js';
import { left, sortGroups } from './text.js';

/** Every group by name, or the one named; throws when that one does not exist. */
export function listLaddrGroups(snapshot: AdmSnapshot, group: string | null): string {
  let groups: AdmLaddrGroup[] = sortGroups(snapshot.laddrGroups);
  if (group !== null) {
    groups = groups.filter((g) => g.name === group);
    if (groups.length === 0) throw new Error(`No such local address group: ${group}`);
  }
  let out = `${left('GROUP', 20)} ${left('TOTAL', 8)} ${left('LADDR', 20)} CONNS\n`;
  for (const g of groups) {
    out += `${left(g.name, 20)} ${g.addresses.length}\n`;
    for (const a of g.addresses) out += `${left('', 20)} ${left('', 8)} ${left(a.address, 20)} ${a.conns}\n`;
  }
  return out;
}
