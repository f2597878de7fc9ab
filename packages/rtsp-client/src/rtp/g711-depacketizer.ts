import { newCounters, type AudioFrame, type Depacketizer, type RtpPayloadPacket } from './depacketizer.js';

// Specification: RFC 3551, section 4.5.14 (PCMA and PCMU): one octet per sample,
// 8000 Hz unless the rtpmap says otherwise, any number of samples per packet.
// The payload is the audio as is; there is nothing to reassemble or to lose
// beyond the packet itself.

export class G711Depacketizer implements Depacketizer<AudioFrame> {
  readonly counters = newCounters();

  constructor(readonly codec: 'pcma' | 'pcmu' = 'pcma') {}

  push(packet: RtpPayloadPacket): AudioFrame[] {
    this.counters.packets++;
    if (packet.payload.byteLength === 0) {
      this.counters.badPackets++;
      return [];
    }
    return [{ timestamp: packet.timestamp, data: packet.payload }];
  }

  get bufferedBytes(): number {
    return 0;
  }

  flush(): AudioFrame[] {
    return [];
  }
}
