import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { isRunning, spawnTracked, stop, stopAll, waitForExit, waitForLine } from './helpers/child.js';
import { parseRtmpStat } from './helpers/nginx-rtmp.js';
import { parseXml } from './helpers/xml.js';

// The e2e harness is shared with the relay's tests, so its own behaviour is pinned here.

afterAll(() => stopAll());

describe('nginx-rtmp stat parsing', () => {
  it('reads a real `rtmp_stat all` page (nginx 1.22.1, nginx-rtmp 1.2.2): one publisher, one player', () => {
    const xml = readFileSync(new URL('./fixtures/nginx-rtmp-1.2.2-stat-publisher-and-player.xml', import.meta.url), 'utf8');
    expect(parseRtmpStat(xml)).toEqual({ streams: [{ app: 'live', name: 'test', publishing: true, subscribers: 1 }] });
  });

  it('reads an application without streams', () => {
    const xml = '<?xml version="1.0"?><rtmp><server><application><name>live</name><live><nclients>0</nclients></live></application></server></rtmp>';
    expect(parseRtmpStat(xml)).toEqual({ streams: [] });
  });

  it('decodes entities and rejects broken nesting', () => {
    expect(parseXml('<a><name>x&amp;y&#x41;</name></a>').children[0]!.text).toBe('x&yA');
    expect(() => parseXml('<a><b></a>')).toThrow(/<\/a> closes <b>/);
    expect(() => parseXml('<a>')).toThrow(/not closed/);
  });
});

describe('child process helpers', () => {
  const node = process.execPath;

  it('waits for a line, including one printed before the wait began', async () => {
    const child = spawnTracked(node, ['-e', "console.log('booting'); console.error('ready on 1234'); setInterval(() => {}, 1000)"]);
    expect(await waitForLine(child, /ready on (\d+)/, 5000)).toBe('ready on 1234');
    expect(await waitForLine(child, /booting/, 100)).toBe('booting');
    await stop(child);
    expect(isRunning(child)).toBe(false);
  });

  it('rejects waitForLine when the process exits first, with its output', async () => {
    const child = spawnTracked(node, ['-e', "console.log('bye'); process.exit(3)"]);
    await expect(waitForLine(child, /never/, 5000)).rejects.toThrow(/exited with code 3[\s\S]*bye/);
  });

  it('rejects waitForLine after its timeout', async () => {
    const child = spawnTracked(node, ['-e', 'setInterval(() => {}, 1000)']);
    await expect(waitForLine(child, /never/, 100)).rejects.toThrow(/no line matching \/never\/ within 100 ms/);
    await stop(child);
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const child = spawnTracked(node, ['-e', "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)"]);
    await waitForLine(child, /up/, 5000);
    await stop(child, 200);
    await waitForExit(child, 1000);
    expect(child.signalCode).toBe('SIGKILL');
  });
});
