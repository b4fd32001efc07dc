import type { InteractionAnswer } from '@coord/runner-protocol';
import type {
  PermissionOption,
  PermissionOptionKind,
  RequestPermissionResponse,
} from '@agentclientprotocol/sdk';

export interface PermissionChoice {
  response: RequestPermissionResponse;
  /** The person said no: the tool call's failure reads `denied`. */
  denied: boolean;
  /** Deny and stop, or nobody answered in time: the turn is cancelled after the answer. */
  cancelTurn: boolean;
}

function pick(
  options: readonly PermissionOption[],
  kinds: PermissionOptionKind[],
): PermissionOption | undefined {
  for (const kind of kinds) {
    const found = options.find((o) => o.kind === kind);
    if (found) return found;
  }
  return undefined;
}

/**
 * ACP's `allow_always` covers both "for this session" and "forever". Gemini 0.61 (with the person's
 * enablePermanentToolApproval) offers both under that kind, the lasting one as
 * `proceed_always_and_save` "…for all future sessions": a runner never picks one that outlives
 * the run.
 */
const outlivesTheRun = (option: PermissionOption): boolean =>
  /future|save|permanent|forever/i.test(`${option.optionId} ${option.name}`);

const cancelled: RequestPermissionResponse = { outcome: { outcome: 'cancelled' } };
const selected = (option: PermissionOption): RequestPermissionResponse => ({
  outcome: { outcome: 'selected', optionId: option.optionId },
});

/**
 * The one approval contract on ACP's options: allow once -> `allow_once`; allow for this session
 * -> `allow_always` (Gemini labels it "Allow for this session" and keeps it in memory; other agents
 * may persist it, so it is only chosen when the person asked for more than once); deny ->
 * `reject_once`. ACP has no field for a denial's note: it stays in the runner's events only.
 * Deny-and-stop and a timeout also cancel the turn (never an endless ask-deny loop). An agent that
 * offers no reject option gets `cancelled`, which ACP defines as "not allowed".
 */
export function choosePermission(
  options: readonly PermissionOption[],
  answer: InteractionAnswer,
): PermissionChoice {
  const reject = (cancelTurn: boolean): PermissionChoice => {
    const option = pick(options, ['reject_once', 'reject_always']);
    return { response: option ? selected(option) : cancelled, denied: true, cancelTurn };
  };
  if (answer.kind === 'timeout') return reject(true);
  if (answer.kind !== 'approval') return reject(false);
  if (answer.decision === 'allow_once') {
    const option = pick(options, ['allow_once']);
    return option ? { response: selected(option), denied: false, cancelTurn: false } : reject(false);
  }
  if (answer.decision === 'allow_session') {
    const option = pick(
      options.filter((o) => !outlivesTheRun(o)),
      ['allow_always', 'allow_once'],
    );
    return option ? { response: selected(option), denied: false, cancelTurn: false } : reject(false);
  }
  return reject(answer.stop === true);
}
