/**
 * Replaces one benchmark's section of RESULTS.md. The file is shared by several benchmarks
 * (and hand-written sections), so it is read right before the write and only the text from
 * `heading` up to the next `## ` heading is replaced; a missing section is appended.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export function replaceSection(file: string, heading: string, md: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const body = md.replace(/\n*$/, '\n');
  // The heading must start a line: another section could mention it in its text.
  const inner = text.indexOf(`\n${heading}\n`);
  const start = text.startsWith(`${heading}\n`) ? 0 : inner < 0 ? -1 : inner + 1;
  let out: string;
  if (start < 0) {
    out = `${text.replace(/\n*$/, '\n\n')}${body}`;
  } else {
    const next = text.indexOf('\n## ', start + heading.length);
    const rest = next < 0 ? '' : text.slice(next + 1);
    out = `${text.slice(0, start)}${body}${rest ? `\n${rest}` : ''}`;
  }
  writeFileSync(file, out);
}
