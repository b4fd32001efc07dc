import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { ErrorCode } from '@coord/runner-protocol';
import { ApiError } from '../errors.js';
import { requireMediaType } from './guards.js';

/** Byte limits per kind of route; every body the server reads has one. */
export const BODY_LIMITS = {
  /** v1 JSON bodies (an event batch of 500 events is well under this). */
  json: 16 * 1024 * 1024,
  /** Optional v1 bodies (claim, cancel, stop): a few small fields. */
  small: 64 * 1024,
  /** The forge's JSON routes (a pull request body is at most 65,536 characters). */
  forge: 1024 * 1024,
} as const;

/** Deeper JSON is refused before parsing: storing it (JSON.stringify) would overflow the stack. */
export const MAX_JSON_DEPTH = 64;

/** The node request and response under a hono context (the server always runs on node). */
export interface BodySource {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
}

export function bodySource(c: { env: Partial<HttpBindings> | undefined }): BodySource {
  const { incoming, outgoing } = c.env ?? {};
  if (!incoming || !outgoing) throw new Error('the local server reads bodies from node requests only');
  return { incoming, outgoing };
}

/**
 * Aborted when the client goes away before its answer is complete (what a long poll waits on).
 * Taken from the node response: hono's `c.req.raw.signal` builds a whole WHATWG Request for it.
 */
export function clientGone({ outgoing }: BodySource): AbortSignal {
  const controller = new AbortController();
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) controller.abort();
  });
  return controller.signal;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a body, counting bytes as they arrive whatever the framing (Content-Length or chunked).
 * Past `limit` it stops buffering and throws 413; nothing beyond the limit is ever kept.
 *
 * The connection is not destroyed here: the socket must live to carry the 413, and a client still
 * writing must get to read it (an immediate close makes its next write fail with EPIPE, and the
 * answer is lost). After the answer, @hono/node-server drains what is still arriving for at most
 * 500 ms or 64 MiB, discarding it, then closes the connection.
 */
export function readBytes(
  { incoming }: BodySource,
  limit: number,
  code: ErrorCode = 'request.too_large',
): Promise<Buffer> {
  const tooLarge = () => new ApiError(413, code, `The request body is larger than ${limit} bytes`);
  const declared = Number(incoming.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge());
  if (incoming.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onBroken);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      done();
      incoming.pause(); // until the answer is out (see above)
      chunks.length = 0;
      reject(tooLarge());
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks, size));
    };
    const onBroken = () => {
      done();
      reject(new ApiError(400, 'request.invalid', 'The request body was not received completely'));
    };
    const onClose = () => {
      if (!incoming.complete) onBroken();
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onBroken);
    incoming.on('close', onClose);
  });
}

/** UTF-8 text of a body; invalid bytes are refused, never replaced. */
export async function readText(source: BodySource, limit: number): Promise<string> {
  const bytes = await readBytes(source, limit);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ApiError(400, 'request.invalid', 'The request body is not valid UTF-8', {
      issues: [{ path: '(root)', message: 'invalid UTF-8' }],
    });
  }
}

/**
 * The JSON value of an `application/json` body, or undefined for an empty one. Another content
 * type is a 415; malformed or too deep JSON a 400.
 */
export async function readJson(source: BodySource, limit: number): Promise<unknown> {
  requireMediaType(source.incoming, 'application/json');
  const text = await readText(source, limit);
  if (text.trim().length === 0) return undefined;
  const malformed = (message: string) =>
    new ApiError(400, 'request.invalid', `Malformed JSON body: ${message}`, {
      issues: [{ path: '(root)', message: 'malformed JSON' }],
    });
  if (nestingExceeds(text, MAX_JSON_DEPTH)) {
    throw malformed(`nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw malformed((error as Error).message);
  }
}

/** Whether arrays and objects in `text` nest deeper than `max` (a linear scan; no recursion). */
export function nestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) return true;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return false;
}
