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
} from '@coord/runner-core/control-api';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { controlEndpoint } from './endpoint-path.js';

type Push = ControlPush;

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
  const reply = parseReply(text);
  if (!reply.ok) throw fromControlError(reply.error);
  const result = controlAnswerSchemas[call.method].safeParse(reply.result);
  if (!result.success) throw invalidAnswer(result.error.message);
  return result.data as ControlAnswer<M>;
}

/** Follows a subscription, calling `onPush` for each push, until the runner ends it. */
export async function subscribeRunner(
  stateDir: string,
  subscription: ControlSubscription,
  onPush: (push: Push) => void,
): Promise<Extract<Push, { kind: 'end' }> | null> {
  const res = await post(stateDir, '/subscribe', { version: CONTROL_API_VERSION, subscribe: subscription });
  const lines = createInterface({ input: res, crlfDelay: Infinity });
  let first = true;
  for await (const line of lines) {
    if (!line) continue;
    if (first) {
      first = false;
      const reply = parseReply(line);
      if (!reply.ok) throw fromControlError(reply.error);
      continue;
    }
    const push = controlPushSchema.safeParse(JSON.parse(line));
    if (!push.success) throw invalidAnswer(push.error.message);
    // Checked against the schema; a runner event keeps its TypeScript type.
    const data = push.data as Push;
    if (data.kind === 'end') return data;
    onPush(data);
  }
  // The connection closed without an end: the runner went away.
  return null;
}

function post(stateDir: string, path: string, body: unknown): Promise<IncomingMessage> {
  const endpoint = controlEndpoint(stateDir);
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: endpoint.path, path, method: 'POST', headers: { 'content-type': 'application/json' } },
      resolve,
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
        reject(
          new CliError(
            EXIT.noRunner,
            `No runner is running on the state dir ${stateDir}.`,
            'Start one with `coord-runner start` (or pass the --state-dir of the runner you mean).',
          ),
        );
      } else {
        reject(new CliError(EXIT.failed, `Cannot talk to the runner at ${endpoint.path}: ${error.message}`));
      }
    });
    req.end(JSON.stringify(body));
  });
}

function parseReply(text: string): ControlReply {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalidAnswer('it is not JSON');
  }
  const reply = controlReplySchema.safeParse(json);
  if (!reply.success) throw invalidAnswer(reply.error.message);
  return reply.data;
}

const exitFor: Partial<Record<ControlErrorPayload['code'], ExitCode>> = {
  'control.unsupported_version': EXIT.versionMismatch,
  'control.bad_request': EXIT.usage,
  'control.not_found': EXIT.notFound,
  'control.unavailable': EXIT.failed,
  'control.failed': EXIT.failed,
};

function fromControlError(error: ControlErrorPayload): CliError {
  return new CliError(exitFor[error.code] ?? EXIT.failed, error.message, error.hint);
}

function invalidAnswer(why: string): CliError {
  return new CliError(
    EXIT.versionMismatch,
    `The runner's answer is not what this coord-runner understands (${why}).`,
    'Use the same coord-runner version as the running runner.',
  );
}
