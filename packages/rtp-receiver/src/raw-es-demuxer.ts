/**
 * H.264 / H.265 Annex B byte stream sent directly in RTP payloads (no PS, no RFC
 * 6184 packetization), as some GB28181 devices do with payload types 96-98: the
 * payloads of one RTP timestamp, concatenated, are one access unit; the marker bit
 * ends it early. The codec is sniffed from the parameter sets of the first keyframe.
 */
import type { ElementaryFrame, EsCodec } from './frame.js';
import { FrameAssembler, newAssemblerStats, type AssemblerStats } from './frame-assembler.js';
import { ProgramTimeline } from './mpeg-timestamp.js';

export interface RawEsDemuxerStats extends AssemblerStats {
  /** Bytes held for the access unit being assembled (bounded). */
  bufferedBytes: number;
}

export class RawEsDemuxer {
  private readonly s: RawEsDemuxerStats = { ...newAssemblerStats(), bufferedBytes: 0 };
  private readonly asm = new FrameAssembler(undefined, 'video', new ProgramTimeline(), this.s);

  get stats(): Readonly<RawEsDemuxerStats> {
    this.s.bufferedBytes = this.asm.heldBytes;
    return this.s;
  }

  get codecs(): { video?: EsCodec } {
    return this.asm.codec ? { video: this.asm.codec } : {};
  }

  /** One RTP payload with its unwrapped 90 kHz timestamp and marker bit. */
  push(payload: Uint8Array, timestamp: number, marker: boolean): ElementaryFrame[] {
    const out: ElementaryFrame[] = [];
    this.asm.startPes(timestamp, undefined, undefined, out);
    this.asm.data(payload);
    if (marker) this.asm.endAccessUnit(out);
    return out;
  }

  discontinuity(): void {
    this.asm.discard();
  }

  flush(): ElementaryFrame[] {
    const out: ElementaryFrame[] = [];
    this.asm.flush(out);
    return out;
  }
}
