import {
  callRunner as callEndpoint,
  ControlClientError,
  subscribeRunner as subscribeEndpoint,
} from '@coord/runner-core/control-client';
import type {
  ControlAnswer,
  ControlCall,
  ControlErrorPayload,
  ControlMethod,
  ControlPush,
  ControlSubscription,
} from '@coord/runner-core/control-api';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';

type Push = ControlPush;

/** Asks the runner on this state dir (core's endpoint client), in the CLI's words and exit codes. */
export function callRunner<M extends ControlMethod>(
  stateDir: string,
  call: Extract<ControlCall, { method: M }>,
): Promise<ControlAnswer<M>> {
  return callEndpoint(stateDir, call).catch(rethrow);
}

/** Follows a subscription, calling `onPush` for each push, until the runner ends it. */
export function subscribeRunner(
  stateDir: string,
  subscription: ControlSubscription,
  onPush: (push: Push) => void,
): Promise<Extract<Push, { kind: 'end' }> | null> {
  return subscribeEndpoint(stateDir, subscription, onPush).catch(rethrow);
}

const exitFor: Partial<Record<ControlErrorPayload['code'], ExitCode>> = {
  'control.unsupported_version': EXIT.versionMismatch,
  'control.bad_request': EXIT.usage,
  'control.not_found': EXIT.notFound,
  'control.unavailable': EXIT.failed,
  'control.failed': EXIT.failed,
};

function rethrow(error: unknown): never {
  if (!(error instanceof ControlClientError)) throw error;
  const { failure } = error;
  switch (failure.kind) {
    case 'no_runner':
      throw new CliError(
        EXIT.noRunner,
        error.message,
        'Start one with `coord-runner start` (or pass the --state-dir of the runner you mean).',
      );
    case 'unreachable':
      throw new CliError(EXIT.failed, error.message);
    case 'invalid_answer':
      throw new CliError(
        EXIT.versionMismatch,
        `The runner's answer is not what this coord-runner understands (${failure.detail}).`,
        'Use the same coord-runner version as the running runner.',
      );
    case 'refused':
      throw new CliError(
        exitFor[failure.error.code] ?? EXIT.failed,
        failure.error.message,
        failure.error.hint,
      );
  }
}
