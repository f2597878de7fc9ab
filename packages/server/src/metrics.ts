import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { PortPool, StreamRegistry } from '@sluice/core';
import type { HookDispatcher } from './hooks/dispatcher.js';
import type { ProxyManager } from './proxy/manager.js';
import type { RtpServerManager } from './rtp/rtp-server-manager.js';
import type { ProxyState } from './proxy/state.js';
import { outputStats } from './outputs/output-stats.js';
import type { Fmp4Streams } from './outputs/fmp4-stream.js';

export interface MetricsSources {
  readonly fmp4: Fmp4Streams;
  readonly registry: StreamRegistry;
  readonly proxies: ProxyManager;
  readonly rtp: RtpServerManager;
  readonly ports: PortPool;
  readonly hooks: HookDispatcher;
}

const STREAM_LABELS = ['vhost', 'app', 'stream'] as const;
const PROXY_STATES: readonly ProxyState[] = ['idle', 'connecting', 'playing', 'retrying', 'failed', 'stopped'];

/**
 * Prometheus metrics, read from the live objects at scrape time (nothing on
 * the media path updates a metric). Counters are totals kept by the objects
 * themselves; a stream that goes away takes its series with it.
 */
export function createMetrics(src: MetricsSources): Registry {
  const register = new Registry();
  collectDefaultMetrics({ register });

  const streamCounter = (name: string, help: string, value: (s: ReturnType<StreamRegistry['list']>[number]) => number): void => {
    new Counter({
      name,
      help,
      labelNames: STREAM_LABELS,
      registers: [register],
      collect() {
        this.reset();
        for (const s of src.registry.list()) this.inc(s.key, value(s));
      },
    });
  };
  streamCounter('sluice_stream_bytes_in_total', 'Media bytes received for the stream.', (s) => s.stats.bytesIn);
  streamCounter('sluice_stream_bytes_out_total', 'Bytes sent to the stream\'s viewers, all outputs.', (s) => outputStats(s).bytesOut);
  streamCounter('sluice_stream_viewer_skipped_fragments_total', 'Fragments slow viewers skipped (dropped to the next keyframe).', (s) => src.fmp4.skippedFor(s));
  streamCounter('sluice_stream_frames_in_total', 'Frames received for the stream.', (s) => s.stats.framesIn);
  streamCounter('sluice_stream_dropped_frames_total', 'Frames dropped (unknown track, before the first keyframe, slow readers).', (s) => s.stats.droppedFrames);
  new Gauge({
    name: 'sluice_stream_readers',
    help: 'Viewers of the stream right now.',
    labelNames: STREAM_LABELS,
    registers: [register],
    collect() {
      this.reset();
      for (const s of src.registry.list()) this.set(s.key, s.viewerCount);
    },
  });

  new Counter({
    name: 'sluice_proxy_reconnects_total',
    help: 'Upstream sessions a proxy started after its first one.',
    labelNames: STREAM_LABELS,
    registers: [register],
    collect() {
      this.reset();
      for (const p of src.proxies.list()) this.inc(p.key, p.rePullCount);
    },
  });
  new Counter({
    name: 'sluice_proxy_bytes_in_total',
    help: 'Bytes a proxy read from its upstream.',
    labelNames: STREAM_LABELS,
    registers: [register],
    collect() {
      this.reset();
      for (const p of src.proxies.list()) this.inc(p.key, p.bytesIn);
    },
  });
  new Counter({
    name: 'sluice_proxy_bad_media_total',
    help: 'Unusable media a proxy skipped from its upstreams (malformed sequence headers, frames that do not parse).',
    labelNames: STREAM_LABELS,
    registers: [register],
    collect() {
      this.reset();
      for (const p of src.proxies.list()) this.inc(p.key, p.badMediaCount);
    },
  });
  new Gauge({
    name: 'sluice_proxy_state',
    help: 'Proxy state: 1 for the state the proxy is in, 0 for the others.',
    labelNames: [...STREAM_LABELS, 'state'],
    registers: [register],
    collect() {
      this.reset();
      for (const p of src.proxies.list()) {
        for (const state of PROXY_STATES) this.set({ ...p.key, state }, p.state === state ? 1 : 0);
      }
    },
  });

  const rtpCounter = (name: string, help: string, field: string): void => {
    new Counter({
      name,
      help,
      labelNames: ['stream_id'],
      registers: [register],
      collect() {
        this.reset();
        for (const server of src.rtp.list()) {
          const value = (server.receiverStats as unknown as Record<string, number>)[field] ?? 0;
          this.inc({ stream_id: server.spec.streamId }, value);
        }
      },
    });
  };
  rtpCounter('sluice_rtp_packets_total', 'RTP packets received by the RTP server.', 'packets');
  rtpCounter('sluice_rtp_bytes_total', 'RTP bytes received by the RTP server.', 'bytes');
  rtpCounter('sluice_rtp_lost_packets_total', 'RTP packets never received (sequence gaps given up on).', 'lost');
  rtpCounter('sluice_rtp_reordered_packets_total', 'RTP packets that arrived out of order and were put back in order.', 'reordered');
  rtpCounter('sluice_rtp_duplicate_packets_total', 'RTP packets received twice.', 'duplicates');
  rtpCounter('sluice_rtp_bad_packets_total', 'Datagrams or frames that were not valid RTP.', 'badPackets');

  new Counter({
    name: 'sluice_rtp_remux_dropped_packets_total',
    help: 'RTP packets dropped before remuxing (the worker pool queue for the stream was full).',
    labelNames: ['stream_id'],
    registers: [register],
    collect() {
      this.reset();
      for (const server of src.rtp.list()) this.inc({ stream_id: server.spec.streamId }, server.remuxStats.droppedPackets);
    },
  });
  new Gauge({
    name: 'sluice_worker_pool_queue_depth',
    help: 'RTP packets waiting for a remux worker thread (rtp_proxy.remux=worker).',
    registers: [register],
    collect() {
      this.set(src.rtp.remuxQueuedPackets);
    },
  });
  new Gauge({
    name: 'sluice_port_pool_size',
    help: 'RTP port pairs in rtp_proxy.port_range.',
    registers: [register],
    collect() {
      this.set(src.ports.size);
    },
  });
  new Gauge({
    name: 'sluice_port_pool_in_use',
    help: 'RTP port pairs handed out.',
    registers: [register],
    collect() {
      this.set(src.ports.inUse);
    },
  });
  new Counter({
    name: 'sluice_port_pool_allocation_failures_total',
    help: 'Port requests that could not be served.',
    registers: [register],
    collect() {
      this.reset();
      this.inc(src.ports.stats.allocationFailures);
    },
  });
  new Counter({
    name: 'sluice_hook_requests_total',
    help: 'Web hooks by outcome: sent (answered), failed (after retries), dropped (too many in flight).',
    labelNames: ['result'],
    registers: [register],
    collect() {
      this.reset();
      const s = src.hooks.stats;
      this.inc({ result: 'sent' }, s.sent);
      this.inc({ result: 'failed' }, s.failed);
      this.inc({ result: 'dropped' }, s.dropped);
    },
  });
  return register;
}
