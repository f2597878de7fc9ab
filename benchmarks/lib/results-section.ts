/**
 * RESULTS.md is shared by every benchmark (and hand-written sections): a run
 * replaces only its own section, from its `## ` heading to the next one, reading
 * the file right before the write; a missing section is appended.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** `text` with `heading`'s section replaced by `md` (which starts with the heading), or `md` appended. */
export function replaceSection(text: string, heading: string, md: string): string {
  const body = md.replace(/\n*$/, '\n');
  // The heading must start a line: another section could mention it in its text.
  const inner = text.indexOf(`\n${heading}\n`);
  const start = text.startsWith(`${heading}\n`) ? 0 : inner < 0 ? -1 : inner + 1;
  if (start < 0) return `${text.replace(/\n*$/, '\n\n')}${body}`;
  const next = text.indexOf('\n## ', start + heading.length);
  const rest = next < 0 ? '' : text.slice(next + 1);
  return `${text.slice(0, start)}${body}${rest ? `\n${rest}` : ''}`;
}

/** Replaces (or appends) `heading`'s section of the results file. */
export function writeResultsSection(file: string, heading: string, md: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  writeFileSync(file, replaceSection(text, heading, md));
}
