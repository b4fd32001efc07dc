import type { ServerResponse } from 'node:http';
import { startRecordingServer, type RecordedCall, type RecordingServer } from './recording-server.js';

/**
 * A fake OpenAI Responses API on 127.0.0.1, for running the real Codex CLI offline. It speaks the
 * streaming wire format Codex reads (`POST /v1/responses` answered with `event:`/`data:` SSE pairs:
 * response.created, response.output_item.added / .done, response.output_text.delta,
 * response.completed with usage), and answers each model request with the next scripted step.
 * Every request is recorded, so a test can check what reached the model (a tool's output, an
 * answer to a question).
 */

export interface FakeCodexQuestion {
  id: string;
  header: string;
  question: string;
  options: Array<{ label: string; description: string }>;
}

export type FakeOpenAIStep =
  /** The model says something and ends its turn. */
  | { kind: 'text'; text: string }
  /** The model calls a tool (`exec_command`, `apply_patch`...) and waits for its output. */
  | { kind: 'tool'; name: string; arguments: Record<string, unknown> | string; text?: string }
  /** The model asks the person through Codex's `request_user_input` tool. */
  | { kind: 'question'; questions: FakeCodexQuestion[] }
  /** The response starts streaming, then nothing more comes until the client goes away. */
  | { kind: 'hang' }
  /** The response starts streaming, then the connection is cut mid-stream. */
  | { kind: 'die' }
  /** The API refuses this request and every later one with this HTTP status. */
  | { kind: 'error'; status: number; message: string };

export interface ResponsesRequest {
  model?: string;
  instructions?: string;
  input?: Array<Record<string, unknown>>;
  tools?: Array<{ type?: string; name?: string; [key: string]: unknown }>;
  stream?: boolean;
  [key: string]: unknown;
}

export type RecordedRequest = RecordedCall<ResponsesRequest>;

/** The fake and its script; `url` is for a model provider's `base_url` (with /v1). */
export interface FakeOpenAI extends RecordingServer<ResponsesRequest> {
  /** The steps still to come; a test may add some once it knows its paths. */
  readonly script: FakeOpenAIStep[];
}

/** Usage every completed response reports: 4 of the 9 output tokens are reasoning tokens. */
export const fakeUsage = {
  input_tokens: 20,
  input_tokens_details: { cached_tokens: 5 },
  output_tokens: 9,
  output_tokens_details: { reasoning_tokens: 4 },
  total_tokens: 29,
};

type Sse = Record<string, unknown> & { type: string };

let callCounter = 0;

function messageItem(id: string, text: string): Record<string, unknown> {
  return {
    type: 'message',
    role: 'assistant',
    id,
    status: 'completed',
    content: [{ type: 'output_text', text, annotations: [] }],
  };
}

function textEvents(id: string, text: string): Sse[] {
  return [
    {
      type: 'response.output_item.added',
      output_index: 0,
      item: { ...messageItem(id, ''), status: 'in_progress', content: [] },
    },
    { type: 'response.output_text.delta', item_id: id, output_index: 0, content_index: 0, delta: text },
    { type: 'response.output_item.done', output_index: 0, item: messageItem(id, text) },
  ];
}

function functionCall(index: number, name: string, args: Record<string, unknown> | string): Sse[] {
  callCounter += 1;
  const callId = `call_fake${String(callCounter).padStart(4, '0')}`;
  const item = {
    type: 'function_call',
    id: `fc_fake${String(callCounter).padStart(4, '0')}`,
    call_id: callId,
    name,
    arguments: typeof args === 'string' ? args : JSON.stringify(args),
    status: 'completed',
  };
  return [
    { type: 'response.output_item.added', output_index: index, item: { ...item, arguments: '' } },
    { type: 'response.output_item.done', output_index: index, item },
  ];
}

function stepEvents(step: FakeOpenAIStep, id: string): Sse[] {
  switch (step.kind) {
    case 'text':
      return textEvents(`msg_${id}`, step.text);
    case 'tool':
      return step.text
        ? [...textEvents(`msg_${id}`, step.text), ...functionCall(1, step.name, step.arguments)]
        : functionCall(0, step.name, step.arguments);
    case 'question':
      return functionCall(0, 'request_user_input', { questions: step.questions });
    default:
      return [];
  }
}

function writeSse(res: ServerResponse, events: Sse[]): void {
  for (const event of events) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
}

/**
 * Starts the fake. Each `POST /v1/responses` takes the next scripted step; when the script runs
 * out, the model says "Done.". `GET /v1/models` answers an empty list; anything else gets `{}`.
 */
export async function startFakeOpenAI(steps: FakeOpenAIStep[]): Promise<FakeOpenAI> {
  const script = [...steps];
  let responseCounter = 0;

  const server = await startRecordingServer<ResponsesRequest>({
    name: 'the fake model',
    isScripted: (call) => call.method === 'POST' && call.url.startsWith('/v1/responses'),
    answer: (call, res) => {
      const { body, url, scripted } = call;

      if (!scripted) {
        const answer = url.startsWith('/v1/models') ? { object: 'list', data: [], models: [] } : {};
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        return;
      }
      responseCounter += 1;
      const id = `fake${String(responseCounter).padStart(4, '0')}`;
      const step: FakeOpenAIStep = script.shift() ?? { kind: 'text', text: 'Done.' };
      if (step.kind === 'error') {
        script.unshift(step);
        res
          .writeHead(step.status, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: step.message, type: 'invalid_request_error' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const response = { id: `resp_${id}`, object: 'response', model: body?.model ?? 'fake' };
      writeSse(res, [{ type: 'response.created', response: { ...response, status: 'in_progress' } }]);
      if (step.kind === 'hang') return; // left open: the client's abort or close ends it
      if (step.kind === 'die') {
        writeSse(res, textEvents(`msg_${id}`, 'this answer is cut off').slice(0, 2));
        res.socket?.destroy();
        return;
      }
      writeSse(res, stepEvents(step, id));
      writeSse(res, [
        { type: 'response.completed', response: { ...response, status: 'completed', usage: fakeUsage } },
      ]);
      res.end();
    },
  });
  return { ...server, url: `${server.url}/v1`, script };
}

/** Everything a request's input carries (user text, tool outputs), for "did X reach the model". */
export function requestText(request: RecordedRequest): string {
  return JSON.stringify(request.body?.input ?? []);
}

/** The outputs of the function calls a request carries back to the model, by call id. */
export function functionOutputs(request: RecordedRequest): Array<{ call_id: string; output: unknown }> {
  return (request.body?.input ?? [])
    .filter((item) => item.type === 'function_call_output')
    .map((item) => ({ call_id: String(item.call_id), output: item.output }));
}
