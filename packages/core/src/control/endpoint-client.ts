import { request, type IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import {
  CONTROL_API_VERSION,
  controlAnswerSchemas,
  controlPushSchema,
  controlReplySchema,
  type ControlAnswer,
  type ControlCall,
  type ControlErrorPayload,
  type ControlMethod,
  type ControlPush,
  type ControlReply,
  type ControlSubscription,
} from './control-api.js';
import { controlEndpoint } from './endpoint-path.js';

/**
 * Why a client could not get an answer: no runner listens on the state dir, the endpoint failed,
 * the runner answered something this version cannot read, or the runner refused the request (its
 * own error, kept whole). Each client (the CLI, the desktop app) turns these into its own words.
 */
export type ControlClientFailure =
  | { kind: 'no_runner' }
  | { kind: 'unreachable'; detail: string }
  | { kind: 'invalid_answer'; detail: string }
  | { kind: 'refused'; error: ControlErrorPayload };

export class ControlClientError extends Error {
  constructor(
    readonly failure: ControlClientFailure,
    readonly stateDir: string,
  ) {
    super(describe(failure, stateDir));
    this.name = 'ControlClientError';
  }
}

function describe(failure: ControlClientFailure, stateDir: string): string {
  switch (failure.kind) {
    case 'no_runner':
      return `No runner is running on the state dir ${stateDir}.`;
    case 'unreachable':
      return `Cannot talk to the runner of ${stateDir}: ${failure.detail}`;
    case 'invalid_answer':
      return `The runner's answer is not what this version understands (${failure.detail}).`;
    case 'refused':
      return failure.error.message;
  }
}

/** Asks the runner on this state dir; its answer is validated against the control API's schema. */
export async function callRunner<M extends ControlMethod>(
  stateDir: string,
  call: Extract<ControlCall, { method: M }>,
): Promise<ControlAnswer<M>> {
  const res = await post(stateDir, '/call', { version: CONTROL_API_VERSION, call });
  const text = await new Promise<string>((resolve, reject) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (body += chunk));
    res.on('end', () => resolve(body));
    res.on('error', reject);
  });
  const reply = parseReply(text, stateDir);
  if (!reply.ok) throw new ControlClientError({ kind: 'refused', error: reply.error }, stateDir);
  const result = controlAnswerSchemas[call.method].safeParse(reply.result);
  if (!result.success) throw invalid(result.error.message, stateDir);
  return result.data as ControlAnswer<M>;
}

export interface RunnerSubscription {
  /** Resolves with the runner's end push, or null when the connection closed without one. */
  readonly ended: Promise<Extract<ControlPush, { kind: 'end' }> | null>;
  /** Stops following (the promise then resolves with null). */
  close(): void;
}

/**
 * Follows a subscription, calling `onPush` for each push, until the runner ends it. Resolves once
 * the runner accepted the subscription (or rejects with its refusal).
 */
export async function openRunnerSubscription(
  stateDir: string,
  subscription: ControlSubscription,
  onPush: (push: ControlPush) => void,
): Promise<RunnerSubscription> {
  const res = await post(stateDir, '/subscribe', { version: CONTROL_API_VERSION, subscribe: subscription });
  const lines = createInterface({ input: res, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const first = await nextLine(lines);
  if (first === null) throw new ControlClientError({ kind: 'no_runner' }, stateDir);
  const reply = parseReply(first, stateDir);
  if (!reply.ok) {
    res.destroy();
    throw new ControlClientError({ kind: 'refused', error: reply.error }, stateDir);
  }
  const ended = (async () => {
    for (let line = await nextLine(lines); line !== null; line = await nextLine(lines)) {
      const push = controlPushSchema.safeParse(JSON.parse(line));
      if (!push.success) throw invalid(push.error.message, stateDir);
      // Checked against the schema; a runner event keeps its TypeScript type.
      const data = push.data as ControlPush;
      if (data.kind === 'end') return data;
      onPush(data);
    }
    // The connection closed without an end: the runner went away (or close() was called).
    return null;
  })();
  return { ended, close: () => res.destroy() };
}

/** Follows a subscription to its end: the end push, or null when the runner went away. */
export async function subscribeRunner(
  stateDir: string,
  subscription: ControlSubscription,
  onPush: (push: ControlPush) => void,
): Promise<Extract<ControlPush, { kind: 'end' }> | null> {
  return (await openRunnerSubscription(stateDir, subscription, onPush)).ended;
}

async function nextLine(lines: AsyncIterator<string>): Promise<string | null> {
  for (;;) {
    let step: IteratorResult<string>;
    try {
      step = await lines.next();
    } catch {
      return null; // the stream was destroyed
    }
    if (step.done) return null;
    if (step.value) return step.value;
  }
}

function post(stateDir: string, path: string, body: unknown): Promise<IncomingMessage> {
  const endpoint = controlEndpoint(stateDir);
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: endpoint.path, path, method: 'POST', headers: { 'content-type': 'application/json' } },
      resolve,
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        new ControlClientError(
          error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
            ? { kind: 'no_runner' }
            : { kind: 'unreachable', detail: error.message },
          stateDir,
        ),
      );
    });
    req.end(JSON.stringify(body));
  });
}

function parseReply(text: string, stateDir: string): ControlReply {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid('it is not JSON', stateDir);
  }
  const reply = controlReplySchema.safeParse(json);
  if (!reply.success) throw invalid(reply.error.message, stateDir);
  return reply.data;
}

function invalid(detail: string, stateDir: string): ControlClientError {
  return new ControlClientError({ kind: 'invalid_answer', detail }, stateDir);
}

export { controlEndpoint } from './endpoint-path.js';
