// One request another worker passed to this one (--share-threads), between the link and the app thread running it. Worker process, main thread.
import type { Relay } from './app-thread.js';
import type { Post } from './main-relay.js';
import { PeerTag, serializeError, Tag, type PeerMessage, type RequestMessage, type ToMain, type ToThread } from './protocol.js';

/**
 * The worker that passed the request keeps its connection and parsing (its MainRelay); this side
 * gives the request to an app thread under an id of this worker's (so it can never be taken for
 * another request the thread ran), and sends back what the thread did under the passing worker's id.
 */
export class PeerRelay implements Relay {
  readonly id: number;
  /** The passing worker's pid and its id for the request. */
  readonly from: number;
  readonly remoteId: number;
  /** When the request arrived at the worker that passed it (the same clock: one machine). */
  readonly startedAt: number;
  readonly req: { readonly method: string; readonly url: string };
  readonly #request: RequestMessage;
  readonly #send: (msg: PeerMessage) => void;
  readonly #onFinish: (relay: PeerRelay) => void;
  #post: Post | null = null;
  #done: (relay: PeerRelay) => void = () => undefined;
  /** What arrived for the thread before one was free (body chunks, an abort). */
  #early: ToThread[] = [];
  #gone = false;
  #finished = false;

  constructor(
    id: number,
    from: number,
    request: RequestMessage,
    since: number,
    send: (msg: PeerMessage) => void,
    onFinish: (relay: PeerRelay) => void,
  ) {
    this.id = id;
    this.startedAt = since;
    this.from = from;
    this.remoteId = request.id;
    this.req = { method: request.method, url: request.url };
    this.#request = request;
    this.#send = send;
    this.#onFinish = onFinish;
  }

  get alive(): boolean {
    return !this.#gone;
  }

  start(post: Post, done: (relay: PeerRelay) => void): void {
    this.#post = post;
    this.#done = done;
    post({ ...this.#request, id: this.id });
    for (const msg of this.#early.splice(0)) this.toThread(msg);
  }

  /** A message from the passing worker about this request. */
  toThread(msg: ToThread): void {
    if (this.#finished) return;
    if (this.#post === null) {
      this.#early.push(msg);
      return;
    }
    if (msg.t === Tag.BODY) {
      // The frame's bytes are a view into the link's read buffer: one exact copy, then transferred.
      const chunk = new Uint8Array(msg.chunk);
      this.#post({ t: Tag.BODY, id: this.id, chunk }, [chunk.buffer]);
    } else {
      this.#post({ ...msg, id: this.id } as ToThread);
    }
  }

  receive(msg: ToMain): void {
    if (this.#finished) return;
    if (!this.#gone) this.#send({ p: PeerTag.MAIN, m: { ...msg, id: this.remoteId } as ToMain });
    if ((msg.t === Tag.RESPONSE && msg.end) || msg.t === Tag.CLOSED) this.#finish();
  }

  fail(err: Error): void {
    if (this.#finished) return;
    if (!this.#gone) this.#send({ p: PeerTag.FAIL, id: this.remoteId, error: serializeError(err) });
    this.#finish();
  }

  /** The passing worker is gone, and the client with it: the app sees the client leave. */
  gone(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.toThread({ t: Tag.ABORT, id: this.remoteId });
  }

  #finish(): void {
    this.#finished = true;
    this.#done(this);
    this.#onFinish(this);
  }
}
