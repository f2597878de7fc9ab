/**
 * The kernel's UDP counters for the whole machine (/proc/net/snmp, the `Udp:`
 * lines): RcvbufErrors counts datagrams dropped because a socket's receive buffer
 * was full, i.e. a receiver that did not read fast enough. Loopback packets also
 * pass a per-CPU backlog queue (netdev_max_backlog) that drops when the softirq
 * falls behind: /proc/net/softnet_stat, second column.
 */
import { readFileSync } from 'node:fs';

export interface UdpCounters {
  InDatagrams: number;
  InErrors: number;
  RcvbufErrors: number;
  /** softnet_stat "dropped", all CPUs. */
  BacklogDrops: number;
}

export function udpCounters(): UdpCounters {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.trim().split(/\s+/).slice(1);
  const values = lines[1]!.trim().split(/\s+/).slice(1).map(Number);
  const get = (k: string): number => values[names.indexOf(k)] ?? NaN;
  const backlog = readFileSync('/proc/net/softnet_stat', 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .reduce((n, l) => n + parseInt(l.trim().split(/\s+/)[1]!, 16), 0);
  return { InDatagrams: get('InDatagrams'), InErrors: get('InErrors'), RcvbufErrors: get('RcvbufErrors'), BacklogDrops: backlog };
}
