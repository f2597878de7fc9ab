/** Test viewers that record what the relay sends them. */
import { request, type ClientRequest } from 'node:http';
import { WebSocket } from 'ws';

export interface RecordingViewer {
  readonly chunks: Buffer[];
  readonly bytes: number;
  readonly statusCode: number | undefined;
  /** Resolves when the relay ends the stream (response end / socket close). */
  readonly ended: Promise<void>;
  /** Resolves once at least n bytes arrived, rejects after timeoutMs. */
  waitForBytes(n: number, timeoutMs: number): Promise<void>;
  data(): Buffer;
  close(): void;
}

function recorder(): {
  viewer: Omit<RecordingViewer, 'ended' | 'close' | 'statusCode'>;
  push(b: Buffer): void;
  failWaiters(err: Error): void;
} {
  const chunks: Buffer[] = [];
  let bytes = 0;
  const waiters = new Set<{ n: number; resolve: () => void; reject: (e: Error) => void }>();
  return {
    viewer: {
      chunks,
      get bytes() {
        return bytes;
      },
      waitForBytes(n, timeoutMs) {
        if (bytes >= n) return Promise.resolve();
        return new Promise((resolve, reject) => {
          const w = {
            n,
            resolve: () => {
              clearTimeout(t);
              waiters.delete(w);
              resolve();
            },
            reject: (e: Error) => {
              clearTimeout(t);
              waiters.delete(w);
              reject(e);
            },
          };
          const t = setTimeout(() => w.reject(new Error(`only ${bytes} of ${n} bytes within ${timeoutMs} ms`)), timeoutMs);
          waiters.add(w);
        });
      },
      data: () => Buffer.concat(chunks),
    },
    push(b) {
      chunks.push(b);
      bytes += b.length;
      for (const w of waiters) if (bytes >= w.n) w.resolve();
    },
    failWaiters(err) {
      for (const w of waiters) w.reject(err);
    },
  };
}

export function httpViewer(url: string): RecordingViewer {
  const r = recorder();
  let statusCode: number | undefined;
  let req: ClientRequest;
  const ended = new Promise<void>((resolve) => {
    req = request(url, (res) => {
      statusCode = res.statusCode;
      res.on('data', (b: Buffer) => r.push(b));
      res.on('end', () => resolve());
      res.on('close', () => resolve());
      res.on('error', () => resolve());
    });
    req.on('error', (e) => {
      r.failWaiters(e);
      resolve();
    });
    req.end();
  });
  ended.then(() => r.failWaiters(new Error('stream ended')));
  return {
    ...r.viewer,
    get bytes() {
      return r.viewer.bytes;
    },
    get statusCode() {
      return statusCode;
    },
    ended,
    close: () => req.destroy(),
  };
}

export function wsViewer(url: string): RecordingViewer & { readonly messages: number } {
  const r = recorder();
  let messages = 0;
  const ws = new WebSocket(url);
  ws.binaryType = 'nodebuffer';
  const ended = new Promise<void>((resolve) => {
    ws.on('message', (data: Buffer) => {
      messages++;
      r.push(data);
    });
    ws.on('close', () => resolve());
    ws.on('error', (e) => {
      r.failWaiters(e);
      resolve();
    });
  });
  ended.then(() => r.failWaiters(new Error('websocket closed')));
  return {
    ...r.viewer,
    get bytes() {
      return r.viewer.bytes;
    },
    get messages() {
      return messages;
    },
    statusCode: undefined,
    ended,
    close: () => ws.terminate(),
  };
}
