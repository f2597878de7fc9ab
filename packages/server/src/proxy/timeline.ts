/**
 * Keeps a stream's timestamps monotonic across upstream sessions. Each new
 * session (a reconnect, a new publisher on the origin) restarts its clock
 * anywhere; viewers that stayed connected must see time continue just after
 * the last frame they got, or their decoders stall or drop a huge span.
 */
const GAP_MS = 40; // one frame at 25 fps between the old session's end and the new one's start

export class Timeline {
  private offsetMs = 0;
  private sessionStarted = false;
  /** Largest output time seen so far, in ms; -Infinity before any frame. */
  private endMs = -Infinity;

  /** Called when an upstream session begins: the next frame re-anchors the clock. */
  beginSession(): void {
    this.sessionStarted = false;
  }

  /** Offset (in `timescale` units) to add to this frame's timestamps. */
  offsetFor(dts: number, timescale: number): number {
    const inputMs = (dts * 1000) / timescale;
    if (!this.sessionStarted) {
      this.sessionStarted = true;
      // First session: keep the source's own clock. Later sessions: continue after the last frame.
      this.offsetMs = this.endMs === -Infinity ? 0 : this.endMs + GAP_MS - inputMs;
    }
    const outMs = inputMs + this.offsetMs;
    if (outMs > this.endMs) this.endMs = outMs;
    return Math.round((this.offsetMs * timescale) / 1000);
  }
}
