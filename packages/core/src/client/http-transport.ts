import { STATUS_CODES } from 'node:http';
import { Agent, request } from 'undici';

/** One HTTP request of the Coord client, as it goes on the wire. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
}

/**
 * The answer's head; `text()` reads the body. A transport rejects only for the network (no
 * answer), and `text()` only for a connection dropped while the body came.
 */
export interface HttpAnswer {
  status: number;
  statusText: string;
  text(): Promise<string>;
}

export type HttpTransport = (request: HttpRequest) => Promise<HttpAnswer>;

/** A transport over a fetch function (tests inject one that fails on purpose). */
export function fetchTransport(doFetch: typeof fetch): HttpTransport {
  return async ({ method, url, headers, body, signal }) => {
    const response = await doFetch(url, { method, headers, body, signal });
    return { status: response.status, statusText: response.statusText, text: () => response.text() };
  };
}

/**
 * The default transport: undici's request API over one keep-alive pool per client. It does the
 * work of fetch at a fraction of its CPU (no WHATWG Request, Headers and streams per call), which
 * is most of what a runner spends on a short job.
 */
export function undiciTransport(): HttpTransport {
  const dispatcher = new Agent();
  return async ({ method, url, headers, body, signal }) => {
    const answer = await request(url, {
      method: method as 'GET',
      headers,
      body: body ?? null,
      signal,
      dispatcher,
    });
    return {
      status: answer.statusCode,
      statusText: STATUS_CODES[answer.statusCode] ?? '',
      text: () => answer.body.text(),
    };
  };
}
