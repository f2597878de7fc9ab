import { describe, expect, it } from 'vitest';
import { envVarName, loadConfig, parseIni, ConfigError } from '../src/config.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('config', () => {
  it.each([
    ['http.port', 'SLUICE_HTTP_PORT'],
    ['api.secret', 'SLUICE_API_SECRET'],
    ['general.dataDir', 'SLUICE_GENERAL_DATADIR'],
    ['general.streamNoneReaderDelayMS', 'SLUICE_GENERAL_STREAMNONEREADERDELAYMS'],
    ['http.allow_cross_domains', 'SLUICE_HTTP_ALLOWCROSSDOMAINS'],
  ])('%s is overridden by %s', (key, env) => {
    expect(envVarName(key)).toBe(env);
  });

  it('has documented defaults for every key', () => {
    const c = loadConfig({ env: {} });
    expect(c['http.port']).toBe(8080);
    expect(c['general.maxStreamWaitMS']).toBe(15000);
    expect(c['general.streamNoneReaderDelayMS']).toBe(20000);
    expect(c['api.secret']).toBe('');
  });

  it('layers file < environment, with types coerced', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
    const file = join(dir, 'sluice.ini');
    writeFileSync(file, '# comment\n[http]\nport=9000\nallow_cross_domains=0\n[api]\nsecret=fromfile\n');
    const c = loadConfig({ file, env: { SLUICE_HTTP_PORT: '9100' } });
    expect(c['http.port']).toBe(9100);
    expect(c['http.allow_cross_domains']).toBe(false);
    expect(c['api.secret']).toBe('fromfile');
  });

  it('reads JSON files with nested sections', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
    const file = join(dir, 'sluice.json');
    writeFileSync(file, JSON.stringify({ general: { maxStreamWaitMS: 500 } }));
    expect(loadConfig({ file, env: {} })['general.maxStreamWaitMS']).toBe(500);
  });

  it.each([
    ['a non-number', { SLUICE_HTTP_PORT: 'eighty' }, /SLUICE_HTTP_PORT.*not a number/],
    ['a non-boolean', { SLUICE_HTTP_ALLOWCROSSDOMAINS: 'maybe' }, /not a boolean/],
  ])('rejects %s from the environment', (_name, env, message) => {
    expect(() => loadConfig({ env })).toThrow(message);
  });

  it('rejects unknown keys in a file (typos must not pass silently)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
    const file = join(dir, 'bad.ini');
    writeFileSync(file, '[http]\nprot=80\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ file, env: {} })).toThrow(/unknown key "http.prot"/);
  });

  it('parses ZLMediaKit-style INI', () => {
    expect(parseIni('[general]\nmediaServerId = abc ; not a comment here\n; comment\n[hook]\nenable=1')).toEqual({
      'general.mediaServerId': 'abc ; not a comment here',
      'hook.enable': '1',
    });
    expect(() => parseIni('[x]\njunk')).toThrow(/expected key=value/);
  });
});
