/**
 * The people watching a stream (an HTTP-FLV / fMP4 / WebSocket / HLS session each),
 * as opposed to the internal readers that produce what they watch: one shared fMP4
 * muxer may serve a thousand viewers.
 */
export interface ViewerInfo {
  /** How the viewer watches: 'http-fmp4', 'ws-fmp4', 'hls', 'rtmp', ... */
  readonly protocol: string;
  readonly remoteAddress?: string;
  /** A session id the API can show and refer to. */
  readonly id?: string;
}

/** Held by a viewer's session for as long as it watches; the count drops when it is released. */
export interface ViewerHandle extends Disposable {
  /** Idempotent. */
  release(): void;
  readonly info: ViewerInfo;
  /** When the viewer started watching, ms since the epoch. */
  readonly since: number;
}

/** The viewers of one stream; tells `onCountChange` whenever one arrives or leaves. */
export class ViewerList {
  readonly #handles = new Set<ViewerHandle>();
  readonly #onCountChange: (count: number) => void;

  constructor(onCountChange: (count: number) => void) {
    this.#onCountChange = onCountChange;
  }

  get count(): number {
    return this.#handles.size;
  }

  add(info: ViewerInfo): ViewerHandle {
    const handles = this.#handles;
    const onCountChange = this.#onCountChange;
    let released = false;
    const handle: ViewerHandle = {
      info,
      since: Date.now(),
      release() {
        if (released) return;
        released = true;
        handles.delete(handle);
        onCountChange(handles.size);
      },
      [Symbol.dispose]() {
        handle.release();
      },
    };
    handles.add(handle);
    onCountChange(handles.size);
    return handle;
  }

  infos(): ViewerInfo[] {
    return Array.from(this.#handles, (handle) => handle.info);
  }

  handles(): ViewerHandle[] {
    return Array.from(this.#handles);
  }
}
