import http from 'node:http';
import https from 'node:https';

/** One HTTP request of the Coord client, as it goes on the wire. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
}

/**
 * The answer's head; the body is read once, whole (`text`) or as it comes (`chunks`, for a
 * stream). A transport rejects only for the network (no answer); reading the body rejects only
 * for a connection dropped while it came.
 */
export interface HttpAnswer {
  status: number;
  statusText: string;
  text(): Promise<string>;
  chunks(): AsyncIterable<Uint8Array>;
}

export type HttpTransport = (request: HttpRequest) => Promise<HttpAnswer>;

/** A transport over a fetch function (tests inject one that fails on purpose). */
export function fetchTransport(doFetch: typeof fetch): HttpTransport {
  return async ({ method, url, headers, body, signal }) => {
    const response = await doFetch(url, { method, headers, body, signal });
    return {
      status: response.status,
      statusText: response.statusText,
      text: () => response.text(),
      chunks: () => response.body ?? emptyBody(),
    };
  };
}

/**
 * The default transport: node's own http and https clients over keep-alive agents of the
 * client's own. They cost a fraction of fetch's CPU per call (no WHATWG Request, Headers and
 * streams), which is most of what a runner spends on a short job, and leave fetch's bundled
 * undici unloaded (about 20 MB of a runner's memory).
 */
export function nodeTransport(): HttpTransport {
  const agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };
  return ({ method, url, headers, body, signal }) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const request = (secure ? https : http).request(
        target,
        {
          method,
          headers,
          agent: secure ? agents['https:'] : agents['http:'],
          ...(signal ? { signal } : {}),
        },
        (response) => {
          const chunks = () => response as AsyncIterable<Uint8Array>;
          resolve({
            status: response.statusCode ?? 0,
            statusText: response.statusMessage ?? http.STATUS_CODES[response.statusCode ?? 0] ?? '',
            chunks,
            // Events, not `for await`: an async iterator per answer cost more than the read.
            text: () =>
              new Promise<string>((resolveText, rejectText) => {
                const parts: Buffer[] = [];
                response.on('data', (part: Buffer) => parts.push(part));
                response.once('error', rejectText);
                response.once('end', () => resolveText(Buffer.concat(parts).toString('utf8')));
                response.once('close', () => {
                  if (!response.complete)
                    rejectText(new Error('the connection closed before the answer was complete'));
                });
              }),
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
