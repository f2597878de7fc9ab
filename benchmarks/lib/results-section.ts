/**
 * RESULTS.md is one file with a section per benchmark: a run replaces its own
 * section (from its `## ` heading to the next one) and leaves the others alone.
 */

/** `text` with `heading`'s section replaced by `body` (which starts with the heading), or `body` appended. */
export function replaceSection(text: string, heading: string, body: string): string {
  const start = text.indexOf(`${heading}\n`);
  let out: string;
  if (start < 0) {
    out = `${text.replace(/\n*$/, '\n\n')}${body}`;
  } else {
    const next = text.indexOf('\n## ', start + heading.length);
    const rest = next < 0 ? '' : text.slice(next + 1);
    out = `${text.slice(0, start)}${body.replace(/\n*$/, '\n')}${rest ? `\n${rest}` : ''}`;
  }
  return out.replace(/\n*$/, '\n');
}
