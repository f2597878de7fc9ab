// Specification: RFC 2326, section 12.33 (RTP-Info):
//
//   RTP-Info: url=rtsp://cam/stream/trackID=1;seq=45102;rtptime=12345678,
//             url=rtsp://cam/stream/trackID=2;seq=30211;rtptime=2345
//
// A url may itself contain ';' or ',' (query strings), so entries are split where
// a new `url=` begins and parameters are only the known names at the end.

export interface RtpInfoEntry {
  readonly url: string;
  readonly seq?: number;
  readonly rtptime?: number;
  /** RFC 7826 adds ssrc=. */
  readonly ssrc?: number;
}

const KNOWN = /;\s*(seq|rtptime|ssrc)\s*=\s*([0-9a-fA-F]+)\s*$/i;

export function parseRtpInfo(value: string): RtpInfoEntry[] {
  const out: RtpInfoEntry[] = [];
  for (const raw of value.split(/,\s*(?=url\s*=)/i)) {
    let text = raw.trim();
    const m = /^url\s*=\s*/i.exec(text);
    if (m === null) continue;
    text = text.slice(m[0].length);
    const entry: { url: string; seq?: number; rtptime?: number; ssrc?: number } = { url: '' };
    for (let p = KNOWN.exec(text); p !== null; p = KNOWN.exec(text)) {
      const name = p[1]!.toLowerCase();
      const digits = p[2]!;
      if (name === 'ssrc') {
        if (/^[0-9a-f]{1,8}$/i.test(digits)) entry.ssrc = parseInt(digits, 16);
      } else if (/^\d{1,10}$/.test(digits)) {
        const n = Number(digits);
        if (name === 'seq' && n <= 0xffff) entry.seq = n;
        if (name === 'rtptime' && n <= 0xffffffff) entry.rtptime = n;
      }
      text = text.slice(0, p.index);
    }
    entry.url = text.trim().replace(/^"(.*)"$/, '$1');
    out.push(entry);
  }
  return out;
}
