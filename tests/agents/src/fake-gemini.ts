import type { ServerResponse } from 'node:http';
import { startRecordingServer, type RecordedCall, type RecordingServer } from './recording-server.js';

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

export type RecordedGeminiRequest = RecordedCall<GeminiRequest>;

/** The fake and its script; `url` is for GOOGLE_GEMINI_BASE_URL. */
export interface FakeGemini extends RecordingServer<GeminiRequest> {
  /** The steps still to come; a test may add some once it knows its paths. */
  readonly script: FakeGeminiStep[];
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

/** Starts the fake; when the script runs out, the model says "Done.". */
export async function startFakeGemini(steps: FakeGeminiStep[]): Promise<FakeGemini> {
  const script = [...steps];

  const server = await startRecordingServer<GeminiRequest>({
    name: 'the fake Gemini',
    isScripted: (call) => call.method === 'POST' && call.url.includes(':streamGenerateContent'),
    waitMs: 20_000,
    answer: (call, res) => {
      const { url, scripted } = call;

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
    },
  });
  return { ...server, script };
}

/** Everything a request's contents carry (user text, function responses). */
export function geminiRequestText(request: RecordedGeminiRequest): string {
  return JSON.stringify(request.body?.contents ?? []);
}

/** The tool names the CLI declared to the model in a request. */
export function declaredTools(request: RecordedGeminiRequest): string[] {
  return (request.body?.tools ?? []).flatMap((t) => (t.functionDeclarations ?? []).map((f) => f.name));
}
