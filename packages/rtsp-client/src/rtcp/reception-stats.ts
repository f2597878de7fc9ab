import { SequenceUnwrapper } from '@sluice/rtp-receiver';
import { rtpTimestampDelta } from '../rtp/timestamps.js';
import { ntpMiddle32, type ReportBlock } from './rtcp.js';

// Specification: RFC 3550, appendix A.3 (packets expected and lost, fraction
// lost per interval), A.8 (interarrival jitter) and section 6.4.1 (LSR, DLSR).
//
//   expected          = extended highest sequence - base sequence + 1
//   lost              = expected - received
//   fraction lost     = (expected_interval - received_interval) * 256 / expected_interval
//   J(i)              = J(i-1) + (|D(i-1,i)| - J(i-1)) / 16
//   D(i-1,i)          = (R(i) - R(i-1)) - (S(i) - S(i-1))   (arrival and RTP times, in timestamp units)

const EXTENDED_SEQUENCE_MODULUS = 2 ** 32;

/** What one receiver knows about one source, for its report blocks. */
export class ReceptionStats {
  private sequence = new SequenceUnwrapper();
  private base: number | undefined;
  private highest: number | undefined;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private jitter = 0;
  private lastArrival: number | undefined;
  private lastTimestamp = 0;
  private lastSr: { middle: number; arrivalMs: number } | undefined;
  /** SSRC of the latest packet (the one the report block is about). */
  ssrc: number | undefined;

  constructor(private readonly clockRate: number) {}

  /** Every RTP packet as it arrives, before reordering (jitter needs the arrival order). */
  onPacket(ssrc: number, sequenceNumber: number, timestamp: number, arrivalMs: number): void {
    if (this.ssrc !== ssrc) {
      if (this.ssrc !== undefined) this.reset();
      this.ssrc = ssrc;
    }
    const ext = this.sequence.unwrap(sequenceNumber);
    if (this.base === undefined || ext < this.base) this.base = ext;
    if (this.highest === undefined || ext > this.highest) this.highest = ext;
    this.received++;
    const arrival = (arrivalMs * this.clockRate) / 1000;
    if (this.lastArrival !== undefined) {
      const d = arrival - this.lastArrival - rtpTimestampDelta(this.lastTimestamp, timestamp);
      this.jitter += (Math.abs(d) - this.jitter) / 16;
    }
    this.lastArrival = arrival;
    this.lastTimestamp = timestamp;
  }

  onSenderReport(ntpMsw: number, ntpLsw: number, arrivalMs: number): void {
    this.lastSr = { middle: ntpMiddle32(ntpMsw, ntpLsw), arrivalMs };
  }

  get cumulativeLost(): number {
    return this.expected() - this.received;
  }

  private expected(): number {
    return this.highest === undefined || this.base === undefined ? 0 : this.highest - this.base + 1;
  }

  /** The report block for now; advances the interval used for the fraction lost. */
  reportBlock(nowMs: number): ReportBlock | undefined {
    if (this.ssrc === undefined) return undefined;
    const expected = this.expected();
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    const highest = this.highest ?? 0;
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost: expected - this.received,
      highestSequence: ((highest % EXTENDED_SEQUENCE_MODULUS) + EXTENDED_SEQUENCE_MODULUS) % EXTENDED_SEQUENCE_MODULUS,
      jitter: Math.floor(this.jitter),
      lastSr: this.lastSr?.middle ?? 0,
      // DLSR in units of 1/65536 s; 0 when no SR has been received.
      delaySinceLastSr: this.lastSr === undefined ? 0 : Math.floor(((nowMs - this.lastSr.arrivalMs) / 1000) * 65536),
    };
  }

  private reset(): void {
    this.sequence = new SequenceUnwrapper();
    this.base = undefined;
    this.highest = undefined;
    this.received = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    this.jitter = 0;
    this.lastArrival = undefined;
    this.lastSr = undefined;
  }
}
