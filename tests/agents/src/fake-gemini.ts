import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Gemini API (generativelanguage v1beta) on 127.0.0.1, for running the real Gemini CLI
 * offline (research/agent-protocols.md 3.3). The main loop calls
 * `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`, answered with `data:` SSE chunks
 * (candidates with text or functionCall parts, finishReason, usageMetadata) from the next scripted
 * step; utility calls (`:generateContent`, `:countTokens`) get a short canned answer. Every
 * request is recorded, so a test can check what reached the model.
 */

export type FakeGeminiStep =
  /** The model says something and ends its turn. */
  | { kind: 'text'; text: string }
  /** The model calls a tool (run_shell_command, write_file, replace...) and waits for its result. */
  | { kind: 'tool'; name: string; args: Record<string, unknown>; text?: string }
  /** The response starts streaming, then nothing more comes until the client goes away. */
  | { kind: 'hang' }
  /** The response starts streaming, then the connection is cut mid-stream. */
  | { kind: 'die' }
  /** The API refuses this request and every later one. Keep to 4xx (429/5xx start retries). */
  | { kind: 'error'; status: number; message: string };

export interface GeminiRequest {
  contents?: Array<{ role: string; parts: Array<Record<string, unknown>> }>;
  tools?: Array<{ functionDeclarations?: Array<{ name: string }> }>;
  [key: string]: unknown;
}

export interface RecordedGeminiRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: GeminiRequest | null;
  /** A main-loop streaming call, which took a scripted step. */
  scripted: boolean;
}

export interface FakeGemini {
  /** For GOOGLE_GEMINI_BASE_URL. */
  readonly url: string;
  readonly requests: RecordedGeminiRequest[];
  readonly script: FakeGeminiStep[];
  modelRequests(): RecordedGeminiRequest[];
  waitForModelRequests(count: number, ms?: number): Promise<RecordedGeminiRequest[]>;
  close(): Promise<void>;
}

const usage = { promptTokenCount: 12, candidatesTokenCount: 5, totalTokenCount: 17 };

function chunk(parts: Array<Record<string, unknown>>, finish: boolean): Record<string, unknown> {
  return {
    candidates: [
      {
        content: { role: 'model', parts },
        ...(finish ? { finishReason: 'STOP' } : {}),
        index: 0,
      },
    ],
    ...(finish ? { usageMetadata: usage } : {}),
    modelVersion: 'gemini-2.5-flash',
  };
}

function stepChunks(step: FakeGeminiStep): Array<Record<string, unknown>> {
  switch (step.kind) {
    case 'text': {
      // Two chunks, so the client sees streaming deltas.
      const half = Math.ceil(step.text.length / 2);
      return [
        chunk([{ text: step.text.slice(0, half) }], false),
        chunk([{ text: step.text.slice(half) }], true),
      ];
    }
    case 'tool':
      return [
        ...(step.text ? [chunk([{ text: step.text }], false)] : []),
        chunk([{ functionCall: { name: step.name, args: step.args } }], true),
      ];
    case 'hang':
    case 'die':
      return [chunk([{ text: 'Working on it' }], false)];
    default:
      return [];
  }
}

function writeSse(res: ServerResponse, chunks: Array<Record<string, unknown>>): void {
  for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\n\n`);
}

function parseBody(raw: string): GeminiRequest | null {
  try {
    return raw ? (JSON.parse(raw) as GeminiRequest) : null;
  } catch {
    return null;
  }
}

/** Starts the fake; when the script runs out, the model says "Done.". */
export async function startFakeGemini(steps: FakeGeminiStep[]): Promise<FakeGemini> {
  const requests: RecordedGeminiRequest[] = [];
  const waiters: Array<() => void> = [];
  const script = [...steps];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = parseBody(Buffer.concat(chunks).toString('utf8'));
      const url = req.url ?? '';
      const scripted = req.method === 'POST' && url.includes(':streamGenerateContent');
      requests.push({ method: req.method ?? '', url, headers: req.headers, body, scripted });
      for (const wake of waiters.splice(0)) wake();

      if (!scripted) {
        if (url.includes(':countTokens')) {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"totalTokens":10}');
          return;
        }
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(chunk([{ text: 'ok' }], true)));
        return;
      }
      const step = script.shift() ?? { kind: 'text', text: 'Done.' };
      if (step.kind === 'error') {
        script.unshift(step);
        res.writeHead(step.status, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            error: { code: step.status, message: step.message, status: 'INVALID_ARGUMENT' },
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      writeSse(res, stepChunks(step));
      if (step.kind === 'hang') return; // left open: the client's abort ends it
      if (step.kind === 'die') {
        res.socket?.destroy();
        return;
      }
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const modelRequests = () => requests.filter((r) => r.scripted);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script,
    modelRequests,
    async waitForModelRequests(count, ms = 20_000) {
      const deadline = Date.now() + ms;
      while (modelRequests().length < count) {
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`the fake Gemini saw ${modelRequests().length} of ${count} requests in ${ms} ms`);
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

/** Everything a request's contents carry (user text, function responses). */
export function geminiRequestText(request: RecordedGeminiRequest): string {
  return JSON.stringify(request.body?.contents ?? []);
}

/** The tool names the CLI declared to the model in a request. */
export function declaredTools(request: RecordedGeminiRequest): string[] {
  return (request.body?.tools ?? []).flatMap((t) => (t.functionDeclarations ?? []).map((f) => f.name));
}
