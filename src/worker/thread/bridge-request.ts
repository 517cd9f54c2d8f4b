// The app's http.IncomingMessage inside an app thread, rebuilt from the main thread's request; its body arrives in chunks. App thread only.
import { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestMessage } from './protocol.js';
import type { StubSocket } from './stub-socket.js';

/** Node's own way to install parsed header lines (headers, and trailers once `complete`). */
interface HeaderLines {
  _addHeaderLines(lines: string[], n: number): void;
}

const nodeRead = IncomingMessage.prototype._read;

/**
 * A plain IncomingMessage, so every framework reads it as usual: `headers` and `headersDistinct` are
 * derived lazily from `rawHeaders` by Node itself. `onRead` runs when the app wants more of the body
 * (after push() said to wait). It is an own property, not a subclass method: Express replaces the
 * prototype of every request it serves.
 */
export function createRequest(socket: StubSocket, msg: RequestMessage, onRead: () => void): IncomingMessage {
  const req = new IncomingMessage(socket as unknown as Socket);
  req.method = msg.method;
  req.url = msg.url;
  req.httpVersion = msg.httpVersion;
  req.httpVersionMajor = msg.httpVersion.charCodeAt(0) - 48;
  req.httpVersionMinor = msg.httpVersion.charCodeAt(2) - 48;
  (req as unknown as HeaderLines)._addHeaderLines(msg.rawHeaders, msg.rawHeaders.length);
  if (msg.complete) finishBody(req, []);
  else {
    req._read = function read(this: IncomingMessage, size: number): void {
      nodeRead.call(this, size);
      onRead();
    };
  }
  return req;
}

/** The last of the body (and its trailers) has arrived. */
export function finishBody(req: IncomingMessage, rawTrailers: string[]): void {
  req.complete = true;
  if (rawTrailers.length > 0) (req as unknown as HeaderLines)._addHeaderLines(rawTrailers, rawTrailers.length);
  req.push(null);
}

/** What a server request is destroyed with when its client goes away, as Node's own server does. */
export function abortedError(): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}
