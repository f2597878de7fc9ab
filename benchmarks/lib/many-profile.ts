/**
 * Reads a V8 `.cpuprofile` (node --cpu-prof) and says where the time of one window went:
 * self time per function and per code owner (a Sluice package, a Node.js module, a
 * dependency, the garbage collector), and per Sluice package nearest the leaf on the stack
 * (so a Buffer copy or a socket write counts for the Sluice code that asked for it), all as
 * % of the window's busy samples. The window is
 * given on the monotonic clock in µs (process.hrtime), which is the clock V8 stamps its
 * samples with on Linux, so a benchmark can cut the profile to its measuring window.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  /** % of the window's sampled time. */
  percent: number;
}

export interface ProfileSummary {
  /** Busy (not idle) sampled time inside the window, ms. */
  busyMs: number;
  /** The window's length, ms (the whole profile's when it could not be cut). */
  wallMs: number;
  /** False when the window was not inside the profile (then the whole profile was used). */
  cut: boolean;
  /** Self time per function, largest first. */
  functions: Share[];
  /** Self time per code owner, largest first. */
  ownersSelf: Share[];
  /**
   * Each sample counted once, for the Sluice package nearest the leaf on its stack, or for
   * the leaf's owner when no Sluice frame is on it (GC, socket reads before they reach
   * Sluice, timers). Largest first.
   */
  nearestSluice: Share[];
}

/** Who owns a frame's code: "@sluice/<package>", "node:<module>", a dependency, or a V8 pseudo-frame. */
export function ownerOf(functionName: string, url: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8 / native (program)';
    if (functionName === '(root)') return 'root';
    return 'native builtins and bindings';
  }
  const pkg = /\/packages\/([^/]+)\//.exec(url);
  if (pkg) return `@sluice/${pkg[1]}`;
  const dep = /\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dep) return dep[1]!;
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/');
    return `node:${parts[0] === 'internal' ? parts.slice(0, Math.min(parts.length, 2)).join('/') : parts[0]}`;
  }
  return 'other';
}

function shortUrl(url: string): string {
  const pkg = /\/packages\/([^/]+)\/(?:dist|src)\/(.+)$/.exec(url);
  if (pkg) return `${pkg[1]}/${pkg[2]}`;
  return url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\//, '');
}

const ranked = (m: Map<string, number>, total: number): Share[] =>
  [...m.entries()].map(([name, t]) => ({ name, percent: (t / total) * 100 })).sort((a, b) => b.percent - a.percent);

/** Summarises the samples of `path` taken between `fromUs` and `toUs` (monotonic µs). */
export function summarizeProfile(path: string, fromUs: number, toUs: number): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const cut = fromUs >= profile.startTime && toUs <= profile.endTime;
  const from = cut ? fromUs : -Infinity;
  const to = cut ? toUs : Infinity;

  const fnSelf = new Map<string, number>();
  const ownerSelf = new Map<string, number>();
  const nearest = new Map<string, number>();
  let total = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    if (t < from || t > to) continue;
    // A sample stands for the time until the next one.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (dt <= 0) continue;
    const leaf = byId.get(profile.samples[i]!)!;
    const { functionName, url, lineNumber } = leaf.callFrame;
    if (functionName === '(idle)') continue;
    total += dt;
    const fnKey = url === '' ? functionName || '(anonymous)' : `${functionName || '(anonymous)'} (${shortUrl(url)}:${lineNumber + 1})`;
    fnSelf.set(fnKey, (fnSelf.get(fnKey) ?? 0) + dt);
    const owner = ownerOf(functionName, url);
    ownerSelf.set(owner, (ownerSelf.get(owner) ?? 0) + dt);
    let who = owner;
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const cf = byId.get(id)!.callFrame;
      const o = ownerOf(cf.functionName, cf.url);
      if (o.startsWith('@sluice/')) {
        who = o;
        break;
      }
    }
    nearest.set(who, (nearest.get(who) ?? 0) + dt);
  }
  if (total === 0) throw new Error(`${path}: no busy samples in the window`);
  return {
    busyMs: total / 1000,
    wallMs: (cut ? toUs - fromUs : profile.endTime - profile.startTime) / 1000,
    cut,
    functions: ranked(fnSelf, total),
    ownersSelf: ranked(ownerSelf, total),
    nearestSluice: ranked(nearest, total),
  };
}
