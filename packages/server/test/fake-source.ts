/** A scripted PullSource for proxy tests that need no network. */
import type { MediaFrame, Track } from '@sluice/codec';
import type { PullContext, PullSource } from '../src/sources/pull-source.js';

export const VIDEO: Track = {
  kind: 'video',
  id: 1,
  codec: 'h264',
  timescale: 90000,
  width: 320,
  height: 240,
  codecString: 'avc1.42c01e',
  decoderConfig: new Uint8Array([1, 0x42, 0xc0, 0x1e, 0xff, 0xe0, 0x00]),
};

export type Behaviour = 'fail' | 'hang' | 'play' | 'play-then-stall';

export class FakeUpstream {
  attempts = 0;
  readonly contexts: PullContext[] = [];
  behaviours: Behaviour[] = [];
  fallback: Behaviour = 'fail';
  /** Per-URL behaviour, overriding the queue (for failover tests). */
  readonly byUrl = new Map<string, Behaviour>();
  readonly urls: string[] = [];
  private readonly waiters: Array<{ n: number; resolve: () => void }> = [];

  readonly pull: PullSource = (ctx) => {
    this.attempts++;
    this.contexts.push(ctx);
    for (const w of [...this.waiters]) if (this.attempts >= w.n) w.resolve();
    this.urls.push(ctx.url);
    const behaviour = this.byUrl.get(ctx.url) ?? this.behaviours.shift() ?? this.fallback;
    return run(behaviour, ctx);
  };

  waitForAttempts(n: number, timeoutMs = 5000): Promise<void> {
    if (this.attempts >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`only ${this.attempts} of ${n} attempts`)), timeoutMs);
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      });
    });
  }
}

function run(behaviour: Behaviour, ctx: PullContext): Promise<void> {
  if (behaviour === 'fail') return Promise.reject(new Error('connect ECONNREFUSED (fake)'));
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      clearInterval(timer);
      reject(new Error('aborted'));
    };
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    if (behaviour === 'hang') return;
    ctx.sink.setTracks([VIDEO]);
    let n = 0;
    const push = (): void => {
      if (behaviour === 'play-then-stall' && n >= 5) return;
      const frame: MediaFrame = {
        trackId: 1,
        kind: 'video',
        dts: n * 3600,
        pts: n * 3600,
        keyframe: n % 25 === 0,
        data: new Uint8Array([0, 0, 0, 1, n % 25 === 0 ? 0x65 : 0x41]),
      };
      n++;
      ctx.addBytesIn(5);
      ctx.sink.pushFrame(frame);
    };
    push();
    timer = setInterval(push, 40);
    void resolve;
  });
}
