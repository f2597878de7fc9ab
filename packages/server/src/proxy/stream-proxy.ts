import { EventEmitter } from 'node:events';
import type { MediaFrame, Track } from '@sluice/codec';
import type { MediaSource, StreamKey, StreamRegistry } from '@sluice/core';
import { streamKeyString } from '@sluice/core';
import type { Logger } from '../log.js';
import { RateLimitedLog } from '../log.js';
import { isPermanentFailure, type IngestSink, type PullContext, type PullSource, type UdpPortPair } from '../sources/pull-source.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { assertTransition, type ProxyState } from './state.js';
import { Timeline } from './timeline.js';
import { maskUrl } from '../mask-url.js';
import type { ConnectLimiter } from './connect-limiter.js';

/** What a proxy was asked to do; this is what gets persisted. */
export interface ProxySpec {
  readonly vhost: string;
  readonly app: string;
  readonly stream: string;
  readonly url: string;
  /** Backup upstreams in priority order, used when the one before fails (Sluice extension). */
  readonly backupUrls?: readonly string[];
  /** -1 retry forever, 0 never, N: give up after N consecutive failed retries. */
  readonly retryCount: number;
  /** Bound on connect + play of one attempt. */
  readonly timeoutSec: number;
  /** RTSP transport: 0 TCP, 1 UDP, 2 automatic (UDP, falling back to TCP). */
  readonly rtpType: number;
  /** RTSP credentials when they are not in the URL. */
  readonly rtspUser?: string;
  readonly rtspPassword?: string;
  readonly onDemand: boolean;
  readonly enableFmp4: boolean;
  readonly enableHls: boolean;
  readonly mediaTimeoutMs: number;
  readonly backoff: BackoffPolicy;
}

export interface StreamProxyDeps {
  /** RTP/RTCP port pairs for RTSP over UDP. */
  readonly udpPorts?: () => Promise<UdpPortPair>;
  /** Shared bound on connection attempts in flight. */
  readonly limiter?: ConnectLimiter;
  /** The proxy registers its stream here while it runs (from start until idle or stopped). */
  readonly registry: StreamRegistry;
  readonly pull: PullSource;
  readonly log: Logger;
}

export interface StreamProxyEvents {
  state: [to: ProxyState, from: ProxyState, reason: string | undefined];
  /** The upstream in use changed (failover to a backup, or back to the primary). */
  source: [url: string, index: number];
}

/** What the proxy knows of one of its upstreams. */
export interface UpstreamHealth {
  readonly url: string;
  healthy: boolean | undefined;
  lastError: string | undefined;
  lastCheckedAt: number | undefined;
}

/** The upstream sent nothing for too long: treated like a dropped connection. */
export class MediaTimeoutError extends Error {
  override readonly name = 'MediaTimeoutError';
}
export class ConnectTimeoutError extends Error {
  override readonly name = 'ConnectTimeoutError';
}

/**
 * Supervises one upstream pull: runs sessions of its PullSource, declares the
 * upstream dead (error, end, connect timeout, media timeout), retries with
 * backoff, and can be stopped in every state with no attempt afterwards.
 */
export class StreamProxy extends EventEmitter<StreamProxyEvents> {
  readonly key: StreamKey;
  readonly keyString: string;
  readonly createdAt = Date.now();
  state: ProxyState = 'idle';
  lastError: string | undefined;
  /** Failed attempts since the last time media flowed. */
  consecutiveFailures = 0;
  /** Sessions started after the first one (ZLMediaKit's rePullCount). */
  rePullCount = 0;
  /** Unusable media the upstreams sent and the adapters skipped (PullContext.badMedia). */
  badMediaCount = 0;
  nextRetryAt: number | undefined;
  playingSince: number | undefined;
  bytesIn = 0;

  private loop: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private currentSource: MediaSource | undefined;
  private sessions = 0;
  private readonly timeline = new Timeline();
  private readonly retryLog: RateLimitedLog;
  private readonly badMediaLog: RateLimitedLog;
  /** Index in `upstreams` of the one in use. */
  activeIndex = 0;
  readonly upstreams: UpstreamHealth[];
  /** Set when a healthy primary should replace the backup in use: the session ends without counting as a failure. */
  private returningToPrimary = false;
  private sessionAbort: AbortController | undefined;
  private primaryProbe: AbortController | undefined;

  constructor(
    readonly spec: ProxySpec,
    private readonly deps: StreamProxyDeps,
  ) {
    super();
    this.key = { vhost: spec.vhost, app: spec.app, stream: spec.stream };
    this.keyString = streamKeyString(this.key);
    this.retryLog = new RateLimitedLog(deps.log, 60_000);
    this.badMediaLog = new RateLimitedLog(deps.log, 60_000);
    this.upstreams = [spec.url, ...(spec.backupUrls ?? [])].map((url) => ({
      url,
      healthy: undefined,
      lastError: undefined,
      lastCheckedAt: undefined,
    }));
  }

  get activeUrl(): string {
    return this.upstreams[this.activeIndex]!.url;
  }

  /**
   * The stream while the proxy runs. It stays registered through retries, so
   * viewers stay connected across an upstream outage; it goes away when the
   * proxy returns to idle or stops.
   */
  get source(): MediaSource | undefined {
    return this.currentSource;
  }

  /** Viewers of the stream right now. */
  get viewerCount(): number {
    return this.currentSource?.viewerCount ?? 0;
  }

  /** True between start() and the next idle/stop/failed. */
  get running(): boolean {
    return this.loop !== undefined;
  }

  /** Starts pulling (from idle or failed). No-op when already running or stopped. */
  start(): void {
    if (this.loop || this.state === 'stopped') return;
    const controller = new AbortController();
    this.controller = controller;
    this.currentSource ??= this.deps.registry.get(this.key) ?? this.deps.registry.create(this.key);
    this.loop = this.run(controller.signal).finally(() => {
      if (this.controller === controller) {
        this.controller = undefined;
        this.loop = undefined;
      }
    });
  }

  /**
   * Stops in any state: aborts a pending connect or a playing session, cancels
   * a retry timer, closes the stream, and resolves once the session's sockets
   * are closed. No attempt follows.
   */
  async stop(reason = 'stopped'): Promise<void> {
    if (this.state === 'stopped') return;
    const loop = this.halt(reason);
    this.transition('stopped', reason);
    await loop;
  }

  /** Back to idle (on-demand: nobody watches): like stop, but start() may run it again. */
  async goIdle(reason: string): Promise<void> {
    if (this.state === 'stopped' || this.state === 'idle') return;
    const loop = this.halt(reason);
    this.transition('idle', reason);
    await loop;
  }

  /** Aborts the running loop and closes the stream; returns the loop to await. */
  private halt(reason: string): Promise<void> | undefined {
    const loop = this.loop;
    this.primaryProbe?.abort();
    this.primaryProbe = undefined;
    this.controller?.abort(new Error(reason));
    this.controller = undefined;
    this.loop = undefined;
    this.closeSource(reason);
    return loop;
  }

  private closeSource(reason: string): void {
    const source = this.currentSource;
    this.currentSource = undefined;
    if (source && this.deps.registry.get(this.key) === source) this.deps.registry.remove(this.key, reason);
    else source?.close(reason);
  }

  /** Resolves with the outcome of the current attempt: 'playing', or the error that ended it. */
  waitForOutcome(timeoutMs: number): Promise<{ ok: true } | { ok: false; error: string }> {
    if (this.state === 'playing') return Promise.resolve({ ok: true });
    // The attempt may already have ended while the caller awaited something else
    // (persisting the proxy): its state says so, no event will come again.
    if (this.state === 'retrying' || this.state === 'failed' || this.state === 'stopped') {
      return Promise.resolve({ ok: false, error: this.lastError ?? this.state });
    }
    return new Promise((resolve) => {
      const done = (result: { ok: true } | { ok: false; error: string }): void => {
        clearTimeout(timer);
        this.off('state', onState);
        resolve(result);
      };
      const onState = (to: ProxyState): void => {
        if (to === 'playing') done({ ok: true });
        else if (to === 'retrying' || to === 'failed' || to === 'stopped' || to === 'idle') {
          done({ ok: false, error: this.lastError ?? to });
        }
      };
      const timer = setTimeout(() => done({ ok: false, error: `no media within ${timeoutMs} ms` }), timeoutMs);
      this.on('state', onState);
    });
  }

  private transition(to: ProxyState, reason?: string): void {
    const from = this.state;
    if (from === to) return;
    assertTransition(from, to);
    this.state = to;
    if (to !== 'retrying') this.nextRetryAt = undefined;
    if (to === 'playing') this.playingSince = Date.now();
    else if (from === 'playing') this.playingSince = undefined;
    this.emit('state', to, from, reason);
  }

  private async run(signal: AbortSignal): Promise<void> {
    /** Upstreams tried since the last success, for failover: after a full round, back off. */
    let triedThisRound = 0;
    while (!signal.aborted) {
      this.transition('connecting');
      if (this.sessions++ > 0) this.rePullCount++;
      let error: Error;
      const upstream = this.upstreams[this.activeIndex]!;
      try {
        await this.runSession(signal, upstream.url);
        error = new Error('upstream ended');
      } catch (err) {
        error = err as Error;
      }
      if (signal.aborted) return;
      if (this.returningToPrimary) {
        this.returningToPrimary = false;
        this.switchTo(0, 'primary healthy again');
        triedThisRound = 0;
        continue;
      }
      upstream.healthy = false;
      upstream.lastError = error.message;
      upstream.lastCheckedAt = Date.now();
      if (this.state === 'playing') triedThisRound = 0;
      this.consecutiveFailures++;
      this.lastError = error.message;
      if (this.upstreams.length > 1 && ++triedThisRound < this.upstreams.length) {
        // Fail over to the next upstream at once; backing off is for when all of them failed.
        this.switchTo((this.activeIndex + 1) % this.upstreams.length, error.message);
        this.transition('retrying', error.message);
        continue;
      }
      triedThisRound = 0;
      if (this.upstreams.length > 1) this.switchTo(0, 'every upstream failed; starting over from the primary');
      const retries = this.spec.retryCount;
      const permanent = isPermanentFailure(error) && this.upstreams.length === 1;
      if (permanent || (retries >= 0 && this.consecutiveFailures > retries)) {
        this.deps.log.warn('proxy failed, no retries left', { err: error.message, failures: this.consecutiveFailures });
        this.halt(error.message);
        this.transition('failed', error.message);
        return;
      }
      const delay = backoffDelay(this.spec.backoff, this.consecutiveFailures);
      this.nextRetryAt = Date.now() + delay;
      this.retryLog.log('warn', 'upstream lost, retrying', { err: error.message, retryInMs: delay, failures: this.consecutiveFailures });
      this.transition('retrying', error.message);
      await abortableSleep(delay, signal);
    }
  }

  private switchTo(index: number, reason: string): void {
    if (index === this.activeIndex) return;
    this.activeIndex = index;
    this.deps.log.info('proxy upstream switched', { url: maskUrl(this.activeUrl), index, reason });
    this.emit('source', this.activeUrl, index);
  }

  /**
   * While a backup is in use, checks the primary at the backoff pace with a
   * probe session of its own; once it delivers media, the backup session ends
   * and the run loop returns to the primary (viewers stay attached: same stream).
   */
  private startPrimaryProbe(): void {
    if (this.primaryProbe || this.activeIndex === 0) return;
    const probe = new AbortController();
    this.primaryProbe = probe;
    const primary = this.upstreams[0]!;
    void (async () => {
      for (let attempt = 1; !probe.signal.aborted; attempt++) {
        await abortableSleep(backoffDelay(this.spec.backoff, attempt), probe.signal);
        // Aborted, or back on the primary some other way (every backup failed): nothing to check.
        if (probe.signal.aborted || this.activeIndex === 0) break;
        const ok = await this.probe(primary.url, probe.signal);
        primary.lastCheckedAt = Date.now();
        primary.healthy = ok.ok;
        primary.lastError = ok.ok ? undefined : ok.error;
        if (ok.ok && !probe.signal.aborted && this.activeIndex !== 0) {
          this.returningToPrimary = true;
          this.sessionAbort?.abort(new Error('returning to the primary upstream'));
          break;
        }
      }
      if (this.primaryProbe === probe) this.primaryProbe = undefined;
    })();
  }

  /** Connects to `url` and waits for its first frame, delivering nothing anywhere. */
  private async probe(url: string, outer: AbortSignal): Promise<{ ok: true } | { ok: false; error: string }> {
    const controller = new AbortController();
    const onOuter = (): void => controller.abort();
    outer.addEventListener('abort', onOuter, { once: true });
    const timer = setTimeout(() => controller.abort(new Error('probe timed out')), this.spec.timeoutSec * 1000);
    let gotMedia = false;
    const sink: IngestSink = {
      setTracks: () => undefined,
      pushFrame: () => {
        gotMedia = true;
        controller.abort(new Error('probe done'));
      },
    };
    try {
      await this.deps.pull(this.pullContext(url, controller.signal, sink, () => undefined));
    } catch (err) {
      if (!gotMedia) return { ok: false, error: (err as Error).message };
    } finally {
      clearTimeout(timer);
      outer.removeEventListener('abort', onOuter);
      controller.abort();
    }
    return gotMedia ? { ok: true } : { ok: false, error: 'upstream ended without media' };
  }

  private pullContext(url: string, signal: AbortSignal, sink: IngestSink, addBytesIn: (n: number) => void): PullContext {
    return {
      url,
      signal,
      timeoutMs: this.spec.timeoutSec * 1000,
      sink,
      rtpType: this.spec.rtpType,
      user: this.spec.rtspUser,
      password: this.spec.rtspPassword,
      udpPorts: this.deps.udpPorts,
      addBytesIn,
      badMedia: (reason) => {
        this.badMediaCount++;
        this.badMediaLog.log('warn', 'skipped bad media from the upstream', { reason, total: this.badMediaCount });
      },
    };
  }

  /** One upstream session, bounded by the connect timeout and the media timeout. */
  private async runSession(outer: AbortSignal, url: string): Promise<void> {
    const session = new AbortController();
    this.sessionAbort = session;
    const onOuterAbort = (): void => session.abort(outer.reason);
    outer.addEventListener('abort', onOuterAbort, { once: true });
    let watchdogError: Error | undefined;
    const fail = (err: Error): void => {
      watchdogError ??= err;
      session.abort(err);
    };
    const source = this.currentSource;
    if (!source) throw new Error('proxy has no stream');
    const sink = this.sessionSink(source, () => {
      if (outer.aborted) return;
      this.consecutiveFailures = 0;
      this.lastError = undefined;
      const upstream = this.upstreams[this.activeIndex]!;
      upstream.healthy = true;
      upstream.lastError = undefined;
      upstream.lastCheckedAt = Date.now();
      this.transition('playing');
      this.startPrimaryProbe();
    });
    const connectTimer = setTimeout(
      () => fail(new ConnectTimeoutError(`no media within ${this.spec.timeoutSec} s of connecting`)),
      this.spec.timeoutSec * 1000,
    );
    const mediaTimeout = this.spec.mediaTimeoutMs;
    const watchdog = setInterval(
      () => {
        if (this.state !== 'playing') return;
        const idle = Date.now() - sink.lastFrameAt;
        if (idle > mediaTimeout) fail(new MediaTimeoutError(`no media for ${mediaTimeout} ms`));
      },
      Math.max(50, Math.min(1000, mediaTimeout / 4)),
    );
    // Wait for a connect slot (aborting the session while waiting rejects at once).
    let releaseSlot: (() => void) | undefined;
    sink.onPlaying = () => {
      clearTimeout(connectTimer);
      releaseSlot?.();
    };
    try {
      releaseSlot = await this.deps.limiter?.acquire(session.signal);
      await this.deps.pull(
        this.pullContext(url, session.signal, sink, (n) => {
          this.bytesIn += n;
        }),
      );
    } catch (err) {
      throw watchdogError ?? err;
    } finally {
      releaseSlot?.();
      if (this.sessionAbort === session) this.sessionAbort = undefined;
      clearTimeout(connectTimer);
      clearInterval(watchdog);
      outer.removeEventListener('abort', onOuterAbort);
      session.abort(new Error('session over'));
    }
    if (watchdogError) throw watchdogError;
  }

  /**
   * The sink one session writes into: rebases timestamps onto the stream's
   * timeline and holds back video until the session's first keyframe, so
   * viewers that stayed connected never get frames they cannot decode.
   */
  private sessionSink(
    source: MediaSource,
    onFirstMedia: () => void,
  ): IngestSink & { lastFrameAt: number; onPlaying?: () => void } {
    this.timeline.beginSession();
    const timeline = this.timeline;
    let started = false;
    let sawKeyframe = false;
    let hasVideo = false;
    const sink = {
      lastFrameAt: Date.now(),
      onPlaying: undefined as (() => void) | undefined,
      setTracks(tracks: readonly Track[]): void {
        hasVideo = tracks.some((t) => t.kind === 'video');
        source.setTracks(tracks);
      },
      pushFrame(frame: MediaFrame): void {
        sink.lastFrameAt = Date.now();
        if (!sawKeyframe) {
          if (hasVideo && !(frame.kind === 'video' && frame.keyframe)) return;
          sawKeyframe = true;
        }
        const track = source.tracks.find((t) => t.id === frame.trackId);
        if (!track) return;
        const offset = timeline.offsetFor(frame.dts, track.timescale);
        source.pushFrame(offset === 0 ? frame : { ...frame, dts: frame.dts + offset, pts: frame.pts + offset });
        if (!started && source.ready) {
          started = true;
          sink.onPlaying?.();
          onFirstMedia();
        }
      },
    };
    return sink;
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

