// Specification: RFC 2326, section 12.39 (Transport); RFC 7826 section 18.54 for
// the parameters cameras also send (`ssrc` lists, `mode` without quotes).
//
//   Transport: RTP/AVP/TCP;unicast;interleaved=0-1
//   Transport: RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=1A2B3C4D;mode="PLAY"

export interface TransportSpec {
  /** `RTP/AVP` (also `RTP/SAVP`, ...): transport-protocol/profile. */
  readonly profile: string;
  /** lower-transport; absent in the header means UDP. */
  readonly lowerTransport: 'TCP' | 'UDP';
  readonly delivery?: 'unicast' | 'multicast';
  /** RTP and RTCP channels of an interleaved TCP transport. */
  readonly interleaved?: readonly [number, number];
  readonly clientPort?: readonly [number, number];
  readonly serverPort?: readonly [number, number];
  /** Multicast `port=`. */
  readonly port?: readonly [number, number];
  readonly source?: string;
  readonly destination?: string;
  readonly ttl?: number;
  /** The synchronization source the server will use (first one when it lists several). */
  readonly ssrc?: number;
  readonly mode?: string;
}

/** Parses a range `a-b` or a single `a` (then b = a + 1, RFC 2326 12.39) within [min, max]. */
function parseRange(value: string, min: number, max: number): readonly [number, number] | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value.trim());
  if (m === null) return undefined;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a + 1 : Number(m[2]);
  if (a < min || a > max || b < min || b > max) return undefined;
  return [a, b];
}

function unquote(value: string): string {
  const v = value.trim();
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/** Parses one transport-spec; undefined when its protocol part is not RTP/... */
export function parseTransportSpec(text: string): TransportSpec | undefined {
  const params = text.split(';').map((p) => p.trim()).filter((p) => p !== '');
  const protocol = params.shift();
  if (protocol === undefined) return undefined;
  const parts = protocol.toUpperCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts[0] !== 'RTP') return undefined;
  const lower = parts[2] ?? 'UDP';
  if (lower !== 'TCP' && lower !== 'UDP') return undefined;
  const spec: { -readonly [K in keyof TransportSpec]: TransportSpec[K] } = {
    profile: `${parts[0]}/${parts[1]}`,
    lowerTransport: lower,
  };
  for (const param of params) {
    const eq = param.indexOf('=');
    const name = (eq < 0 ? param : param.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : param.slice(eq + 1).trim();
    switch (name) {
      case 'unicast':
      case 'multicast':
        spec.delivery = name;
        break;
      case 'interleaved':
        spec.interleaved = parseRange(value, 0, 255);
        break;
      case 'client_port':
        spec.clientPort = parseRange(value, 1, 65535);
        break;
      case 'server_port':
        spec.serverPort = parseRange(value, 1, 65535);
        break;
      case 'port':
        spec.port = parseRange(value, 1, 65535);
        break;
      case 'source':
        spec.source = unquote(value);
        break;
      case 'destination':
        spec.destination = unquote(value);
        break;
      case 'ttl': {
        const ttl = Number(value);
        if (Number.isInteger(ttl) && ttl >= 0 && ttl <= 255) spec.ttl = ttl;
        break;
      }
      case 'ssrc': {
        // RFC 2326: 8 hex digits. RFC 7826 allows a '/'-separated list; the first is ours.
        const first = unquote(value).split('/')[0]!.trim();
        if (/^[0-9a-f]{1,8}$/i.test(first)) spec.ssrc = parseInt(first, 16);
        break;
      }
      case 'mode':
        spec.mode = unquote(value).toUpperCase();
        break;
      default:
      // append, layers, RTCP-mux, ... : nothing a unicast player needs.
    }
  }
  return spec;
}

/** Parses the Transport header: every RTP transport-spec, in order. */
export function parseTransport(value: string): TransportSpec[] {
  const out: TransportSpec[] = [];
  for (const text of value.split(',')) {
    const spec = parseTransportSpec(text);
    if (spec !== undefined) out.push(spec);
  }
  return out;
}

export function serializeTransport(spec: TransportSpec): string {
  const parts: string[] = [spec.lowerTransport === 'TCP' ? `${spec.profile}/TCP` : spec.profile];
  if (spec.delivery !== undefined) parts.push(spec.delivery);
  if (spec.destination !== undefined) parts.push(`destination=${spec.destination}`);
  if (spec.source !== undefined) parts.push(`source=${spec.source}`);
  if (spec.interleaved !== undefined) parts.push(`interleaved=${spec.interleaved[0]}-${spec.interleaved[1]}`);
  if (spec.clientPort !== undefined) parts.push(`client_port=${spec.clientPort[0]}-${spec.clientPort[1]}`);
  if (spec.serverPort !== undefined) parts.push(`server_port=${spec.serverPort[0]}-${spec.serverPort[1]}`);
  if (spec.port !== undefined) parts.push(`port=${spec.port[0]}-${spec.port[1]}`);
  if (spec.ttl !== undefined) parts.push(`ttl=${spec.ttl}`);
  if (spec.ssrc !== undefined) parts.push(`ssrc=${spec.ssrc.toString(16).toUpperCase().padStart(8, '0')}`);
  if (spec.mode !== undefined) parts.push(`mode="${spec.mode}"`);
  return parts.join(';');
}
