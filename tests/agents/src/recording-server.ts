import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What every fake model API keeps of a request, so a test can check what reached the model. */
export interface RecordedCall<Body> {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (null for bodiless or unreadable ones, such as a `HEAD /` probe). */
  body: Body | null;
  /** Whether this request took a scripted step (a main-loop model call). */
  scripted: boolean;
  /** When its headers arrived (epoch ms, sub-millisecond): what start-up benchmarks measure to. */
  receivedAt: number;
}

/** The HTTP side every fake model API shares: where it listens, what it saw, waiting, closing. */
export interface RecordingServer<Body> {
  /** `http://127.0.0.1:<port>`, for the agent's base-URL setting. */
  readonly url: string;
  readonly requests: RecordedCall<Body>[];
  /** The scripted model calls, in order. */
  modelRequests(): RecordedCall<Body>[];
  /** Resolves once `count` scripted model calls have arrived (with a deadline). */
  waitForModelRequests(count: number, ms?: number): Promise<RecordedCall<Body>[]>;
  close(): Promise<void>;
}

function parseJsonBody<Body>(raw: string): Body | null {
  try {
    return raw ? (JSON.parse(raw) as Body) : null;
  } catch {
    return null;
  }
}

/**
 * Starts a fake model API on 127.0.0.1 port 0: each request is read whole, recorded (with when
 * it arrived), wakes whoever waits for model calls, and is then answered by `answer`, which
 * speaks the vendor's wire format. `name` is what errors call it ("the fake Gemini").
 */
export async function startRecordingServer<Body>(options: {
  name: string;
  isScripted(call: Omit<RecordedCall<Body>, 'scripted'>): boolean;
  answer(call: RecordedCall<Body>, res: ServerResponse): void;
  waitMs?: number;
}): Promise<RecordingServer<Body>> {
  const requests: RecordedCall<Body>[] = [];
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    const receivedAt = performance.timeOrigin + performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: parseJsonBody<Body>(Buffer.concat(chunks).toString('utf8')),
        receivedAt,
      };
      const call = { ...seen, scripted: options.isScripted(seen) };
      requests.push(call);
      for (const wake of waiters.splice(0)) wake();
      options.answer(call, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const modelRequests = () => requests.filter((r) => r.scripted);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    modelRequests,
    async waitForModelRequests(count, ms = options.waitMs ?? 15_000) {
      const deadline = Date.now() + ms;
      while (modelRequests().length < count) {
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`${options.name} saw ${modelRequests().length} of ${count} requests in ${ms} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return modelRequests();
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
