// Formats a loaded configuration the way `director check` prints it: counts, then each service
// and its real servers in ipvsadm -Ln order.

import type { DirectorConfig, VirtualServerConfig } from '../config/model.js';

export function summarize(config: DirectorConfig): string[] {
  const rsCount = config.virtualServers.reduce((n, vs) => n + vs.realServers.length, 0);
  const groups = Object.keys(config.localAddressGroups).length;
  const lines = [
    `${config.virtualServers.length} virtual server(s), ${rsCount} real server(s), ` +
      `${groups} local address group(s), ${config.warnings.length} warning(s)`,
  ];
  for (const vs of config.virtualServers) lines.push(...service(vs));
  for (const [name, addrs] of Object.entries(config.localAddressGroups)) {
    lines.push(`local_address_group ${name}: ${addrs.join(' ')}`);
  }
  return lines;
}

function service(vs: VirtualServerConfig): string[] {
  const extras = [
    vs.schedFlags.length ? `flags ${vs.schedFlags.join(',')}` : '',
    vs.persistenceTimeout ? `persistent ${vs.persistenceTimeout}s mask ${vs.persistenceGranularity}` : '',
    vs.laddrGroup ? `laddr ${vs.laddrGroup}` : '',
    vs.slowStart ? `slowstart ${vs.slowStart}s` : '',
  ].filter((s) => s !== '');
  const head = `${vs.protocol.toUpperCase()} ${vs.vip}:${vs.port} ${vs.scheduler}${extras.length ? ' ' + extras.join(' ') : ''}`;
  const rs = vs.realServers.map((r) => {
    const th = r.upperThreshold ? ` uthreshold ${r.upperThreshold} lthreshold ${r.lowerThreshold}` : '';
    return `  -> ${r.address}:${r.port} ${r.method.toUpperCase()} weight ${r.weight}${th}`;
  });
  return [head, ...rs];
}
