import type {
  CodexFileChange,
  CommandApproval,
  FileChangeApproval,
  UserInputRequest,
} from './codex-messages.js';
import { RpcClient, type RpcId } from './json-rpc.js';
import type { TurnInterruptParams } from './protocol/v2/TurnInterruptParams.js';

/** What each of our requests was for, so its response can be acted on. */
export type RequestPurpose =
  'initialize' | 'thread/start' | 'thread/resume' | 'turn/start' | 'turn/interrupt' | 'turn/steer';

/** A server request waiting for a person, with what its answer needs. */
export type PendingRequest =
  | { kind: 'command'; rpcId: RpcId; params: CommandApproval }
  | { kind: 'fileChange'; rpcId: RpcId; params: FileChangeApproval }
  | { kind: 'question'; rpcId: RpcId; params: UserInputRequest };

export interface CodexLaunch {
  cwd: string;
  prompt: string;
  /** Resume this thread (thread/resume) instead of starting one. */
  resumeThreadId: string | null;
  model?: string | undefined;
}

/** What the Codex adapter remembers across the lines of one app-server process. */
export interface CodexSession {
  readonly launch: CodexLaunch;
  readonly rpc: RpcClient<RequestPurpose>;
  threadId: string | null;
  /** turn/start was sent (its response brings the turn id). */
  turnRequested: boolean;
  turnId: string | null;
  /** Server requests waiting for a person, by the request id the runner sees. */
  pending: Map<string, PendingRequest>;
  /** The changes of file-change items, by item id: their approval request does not repeat them. */
  fileChanges: Map<string, CodexFileChange[]>;
  /** Items a person declined, so their completion reads as `denied`. */
  declined: Set<string>;
  /** An interrupt was asked for (by the runner, or by "deny and stop"); sent once a turn exists. */
  interruptWanted: boolean;
  interruptSent: boolean;
  /** Codex did not know the thread to resume. */
  resumeRejected: boolean;
  /** Methods already warned about (one warning each, not one per line). */
  warned: Set<string>;
}

export function createCodexSession(launch: CodexLaunch): CodexSession {
  return {
    launch,
    rpc: new RpcClient<RequestPurpose>(),
    threadId: null,
    turnRequested: false,
    turnId: null,
    pending: new Map(),
    fileChanges: new Map(),
    declined: new Set(),
    interruptWanted: false,
    interruptSent: false,
    resumeRejected: false,
    warned: new Set(),
  };
}

/** The runner's id for a server request: unique across turns and processes (Codex restarts at 0). */
export const requestKey = (turnId: string, rpcId: RpcId): string => `${turnId}:${String(rpcId)}`;

/** The `turn/interrupt` line, once there is a turn to interrupt (null before, or once sent). */
export function interruptLine(session: CodexSession): string | null {
  session.interruptWanted = true;
  if (!session.threadId || !session.turnId || session.interruptSent) return null;
  session.interruptSent = true;
  return session.rpc.request(
    'turn/interrupt',
    { threadId: session.threadId, turnId: session.turnId } satisfies TurnInterruptParams,
    'turn/interrupt',
  );
}
