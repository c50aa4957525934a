// What `director adm -h` and `-v` print: the ipvsadm-style synopsis of what adm accepts.

import { IPVS_VERSION } from './list-services.js';
import { SCHEDULER_NAMES } from '../config/schedulers.js';

export function versionText(directorVersion: string): string {
  return `director adm ${directorVersion} (ipvsadm 1.31 syntax, IPVS v${IPVS_VERSION})\n`;
}

export function usageText(): string {
  const p = 'director adm';
  return `Usage:
  ${p} -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [-b sched-flags] [-o] [--laddr-group name]
  ${p} -D virtual-service
  ${p} -C
  ${p} -R
  ${p} -S [-n]
  ${p} -a|e virtual-service -r server-address [-g|i|m|F] [-w weight] [-x upper] [-y lower]
  ${p} -d virtual-service -r server-address
  ${p} -L|l [virtual-service] [options]
  ${p} -Z [virtual-service]
  ${p} --set tcp tcpfin udp
  ${p} -P|Q --laddr-group name -z address[-last-octet]
  ${p} -G [--laddr-group name]
  ${p} -h

Commands (long or short):
  --add-service     -A        add virtual service with options
  --edit-service    -E        edit virtual service with options (omitted options take defaults)
  --delete-service  -D        delete virtual service
  --clear           -C        clear the whole table (services and local address groups)
  --restore         -R        restore rules from stdin
  --save            -S        save rules to stdout
  --add-server      -a        add real server with options
  --edit-server     -e        edit real server with options (omitted options take defaults)
  --delete-server   -d        delete real server
  --list            -L|-l     list the table
  --zero            -Z        zero counters in a service or all services
  --set tcp tcpfin udp        set connection timeout values (0 keeps a value)
  --add-laddr       -P        add FULLNAT local addresses to a group (creating it)
  --del-laddr       -Q        delete FULLNAT local addresses from a group
  --get-laddr       -G        list FULLNAT local address groups
  --help            -h        display this help message
  --version         -v        display the version

virtual-service:
  --tcp-service|-t  service-address   service-address is host[:port] or [ipv6-address]:port
  --udp-service|-u  service-address   service-address is host[:port] or [ipv6-address]:port
  --fwmark-service|-f fwmark          fwmark is an integer greater than zero, defined by
                                      a fwmark_match block of the configuration
  --ipv6         -6                   fwmark entry uses IPv6

Options:
  --scheduler    -s scheduler         one of ${SCHEDULER_NAMES.join('|')},
                                      the default scheduler is wlc.
  --persistent   -p [timeout]         persistent service (default 360 seconds)
  --netmask      -M netmask           persistent granularity mask (IPv6: a prefix length, default 128)
  --sched-flags  -b flags             scheduler flags (comma-separated)
  --ops          -o                   one-packet scheduling (UDP: each datagram scheduled alone)
  --laddr-group  name                 FULLNAT local address group of the service
  --real-server  -r server-address    server-address is host (and port), [ipv6-address]:port
  --gatewaying   -g                   gatewaying (direct routing) (default)
  --ipip         -i                   ipip encapsulation (tunneling)
  --masquerading -m                   masquerading (NAT)
  --fullnat      -F                   FULLNAT (source from the service's local address group)
  --weight       -w weight            capacity of real server
  --u-threshold  -x uthreshold        upper threshold of connections
  --l-threshold  -y lthreshold        lower threshold of connections
  --laddr        -z address           local address, or range a.b.c.d-e
  --connection   -c                   output of current connections
  --timeout                           output of timeout (tcp tcpfin udp)
  --stats                             output of statistics information
  --rate                              output of rate information
  --exact        -X                   expand numbers (display exact values)
  --thresholds                        output of thresholds information
  --persistent-conn                   output of persistent connection info
  --tun-info                          output of tunnel information
  --laddr-info                        with -c: output of FULLNAT local addresses
  --nosort                            disable sorting output of service/server entries
  --sort                              does nothing, for backwards compatibility
  --numeric      -n                   numeric output of addresses and ports

Which director (not ipvsadm options; anywhere on the line):
  --control PATH                      its control socket (default /run/director/director.sock,
                                      or /run/director/NS.sock inside network namespace NS)
  --netns NS                          the director run with --netns NS (/run/director/NS.sock)
`;
}
