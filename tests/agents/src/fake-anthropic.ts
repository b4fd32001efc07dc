import type { ServerResponse } from 'node:http';
import { startRecordingServer, type RecordedCall, type RecordingServer } from './recording-server.js';

/**
 * A fake Anthropic Messages API on 127.0.0.1, for running the real Claude Code CLI offline. It
 * speaks the streaming wire format the CLI reads (message_start, content_block_start/delta/stop,
 * message_delta, message_stop as `event:`/`data:` SSE pairs) and answers each model request with
 * the next scripted step. Every request is recorded, so a test can check what reached the model.
 */

export interface FakeQuestion {
  question: string;
  header: string;
  options: Array<{ label: string; description: string }>;
  multiSelect: boolean;
}

export type FakeStep =
  /**
   * The model says something and ends its turn; with `words`, the text streams as one delta per
   * word, the way the real API streams a long answer (one delta otherwise).
   */
  | { kind: 'text'; text: string; words?: boolean }
  /** The model calls a tool (a Bash command, a Write...) and waits for its result. */
  | { kind: 'tool'; name: string; input: Record<string, unknown>; text?: string }
  /** The model asks the person through Claude Code's AskUserQuestion tool. */
  | { kind: 'question'; questions: FakeQuestion[] }
  /** The response starts streaming, then nothing more comes until the client goes away. */
  | { kind: 'hang' }
  /** The response starts streaming, then the connection is cut mid-stream. */
  | { kind: 'die' }
  /**
   * The API refuses this request and every later one (the CLI retries some errors, e.g. a 404
   * stream as a non-streaming call). Keep to 4xx: 429 and 5xx start its backoff loop.
   */
  | { kind: 'error'; status: number; type: string; message: string };

export type RecordedRequest = RecordedCall<MessagesRequest>;

export interface MessagesRequest {
  model?: string;
  tools?: unknown[];
  messages?: Array<{ role: string; content: string | Array<Record<string, unknown>> }>;
  [key: string]: unknown;
}

/** The fake and its script; `url` is for ANTHROPIC_BASE_URL (no /v1: the CLI adds it). */
export interface FakeAnthropic extends RecordingServer<MessagesRequest> {
  /** The steps still to come; a test may add some once it knows its paths. */
  readonly script: FakeStep[];
}

type Sse = [event: string, data: Record<string, unknown>];

let toolCounter = 0;

function messageStart(id: string, model: string): Sse {
  return [
    'message_start',
    {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        content: [],
        model,
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 12, output_tokens: 1 },
      },
    },
  ];
}

function textBlock(index: number, text: string, words = false): Sse[] {
  const pieces = words ? (text.match(/\S+\s*/g) ?? [text]) : [text];
  return [
    [
      'content_block_start',
      { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
    ],
    ...pieces.map((piece): Sse => [
      'content_block_delta',
      { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } },
    ]),
    ['content_block_stop', { type: 'content_block_stop', index }],
  ];
}

function toolBlock(index: number, name: string, input: Record<string, unknown>): Sse[] {
  toolCounter += 1;
  const id = `toolu_fake${String(toolCounter).padStart(4, '0')}`;
  return [
    [
      'content_block_start',
      { type: 'content_block_start', index, content_block: { type: 'tool_use', id, name, input: {} } },
    ],
    [
      'content_block_delta',
      {
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(input) },
      },
    ],
    ['content_block_stop', { type: 'content_block_stop', index }],
  ];
}

function messageEnd(stopReason: 'end_turn' | 'tool_use'): Sse[] {
  return [
    [
      'message_delta',
      {
        type: 'message_delta',
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: { output_tokens: 7 },
      },
    ],
    ['message_stop', { type: 'message_stop' }],
  ];
}

/** The whole SSE response for a step that completes. */
function stepEvents(step: FakeStep, id: string, model: string): Sse[] {
  const start = messageStart(id, model);
  switch (step.kind) {
    case 'text':
      return [start, ...textBlock(0, step.text, step.words), ...messageEnd('end_turn')];
    case 'tool': {
      const blocks = step.text
        ? [...textBlock(0, step.text), ...toolBlock(1, step.name, step.input)]
        : toolBlock(0, step.name, step.input);
      return [start, ...blocks, ...messageEnd('tool_use')];
    }
    case 'question':
      return [
        start,
        ...toolBlock(0, 'AskUserQuestion', { questions: step.questions }),
        ...messageEnd('tool_use'),
      ];
    default:
      return [start];
  }
}

/** The same step as one non-streaming JSON message (what the CLI's fallback call expects). */
function wholeMessage(step: FakeStep, id: string, model: string): Record<string, unknown> {
  const content: unknown[] = [];
  let input: unknown = null;
  const events = stepEvents(step, id, model);
  for (const [event, data] of events) {
    if (event === 'content_block_start') content.push({ ...(data.content_block as object) });
    if (event === 'content_block_delta') {
      const delta = data.delta as { type: string; text?: string; partial_json?: string };
      const block = content.at(-1) as Record<string, unknown>;
      if (delta.type === 'text_delta') block.text = `${String(block.text ?? '')}${delta.text ?? ''}`;
      else input = JSON.parse(delta.partial_json ?? '{}');
      if (delta.type === 'input_json_delta') block.input = input;
    }
  }
  const toolCall = content.some((b) => (b as { type: string }).type === 'tool_use');
  return {
    id,
    type: 'message',
    role: 'assistant',
    content,
    model,
    stop_reason: toolCall ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 12, output_tokens: 7 },
  };
}

function writeSse(res: ServerResponse, events: Sse[]): void {
  for (const [event, data] of events) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * Starts the fake. Scripted steps go to main-loop model calls (a POST to /v1/messages with
 * tools), one step per call; anything else (side calls without tools, probes) gets a short
 * canned answer. When the script runs out, the model says "Done.".
 */
export async function startFakeAnthropic(steps: FakeStep[]): Promise<FakeAnthropic> {
  const script = [...steps];
  let messageCounter = 0;

  const server = await startRecordingServer<MessagesRequest>({
    name: 'the fake model',
    isScripted: (call) =>
      call.method === 'POST' &&
      call.url.startsWith('/v1/messages') &&
      Array.isArray(call.body?.tools) &&
      call.body.tools.length > 0,
    answer: (call, res) => {
      const { body, scripted } = call;
      const isMessages = call.method === 'POST' && call.url.startsWith('/v1/messages');

      if (!isMessages) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      messageCounter += 1;
      const id = `msg_fake${String(messageCounter).padStart(4, '0')}`;
      const model = body?.model ?? 'claude-fake';
      const step: FakeStep = scripted
        ? (script.shift() ?? { kind: 'text', text: 'Done.' })
        : { kind: 'text', text: 'ok' };
      if (step.kind === 'error') {
        script.unshift(step);
        res
          .writeHead(step.status, { 'content-type': 'application/json' })
          .end(JSON.stringify({ type: 'error', error: { type: step.type, message: step.message } }));
        return;
      }
      if (body?.stream !== true) {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(wholeMessage(step, id, model)));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      writeSse(res, stepEvents(step, id, model));
      if (step.kind === 'hang') return; // left open: the client's abort or close ends it
      if (step.kind === 'die') {
        writeSse(res, textBlock(0, 'this answer is cut off').slice(0, 2));
        res.socket?.destroy();
        return;
      }
      res.end();
    },
  });
  return { ...server, script };
}

/** Every text a request's messages carry (user text, tool results), for "did X reach the model". */
export function requestText(request: RecordedRequest): string {
  return JSON.stringify(request.body?.messages ?? []);
}
