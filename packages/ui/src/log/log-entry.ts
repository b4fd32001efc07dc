import { approvalLine, type AttemptEvent } from '@coord/runner-protocol';

/**
 * One row of the agent log, read from an attempt event. Event data comes from a runner and an
 * agent, so every field is checked here and only plain strings reach the components (which render
 * them as text, never as HTML). An unknown shape becomes a `note` naming its type.
 */
export type LogEntry =
  /** `streamed`: its text came before as delta rows (the row then only offers it whole). */
  | { kind: 'message'; role: 'assistant' | 'user'; text: string; streamed: boolean }
  | { kind: 'delta'; channel: 'text' | 'reasoning'; text: string }
  | { kind: 'session'; sessionId: string; model?: string; resumed: boolean; demo: boolean }
  | { kind: 'tool'; toolCallId: string; name: string; toolKind: string; title: string; input: ToolInput }
  | { kind: 'output'; toolCallId: string; stream: 'stdout' | 'stderr'; text: string }
  /** `streamed`: its output came before as output rows (the row then only offers it whole). */
  | {
      kind: 'tool-done';
      toolCallId: string;
      status: string;
      exitCode?: number;
      output?: string;
      streamed: boolean;
    }
  | { kind: 'warning'; text: string }
  | { kind: 'stderr'; text: string }
  | { kind: 'usage'; inputTokens: number; outputTokens: number; costUsd?: number }
  | { kind: 'turn'; status: string; text?: string }
  | { kind: 'state'; state: string }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; text: string }
  | { kind: 'policy'; decision: string; toolName: string; reason: string }
  /**
   * `asked`: the agent asks (the policy decides next); `requested`: it waits for a person;
   * `closed`: resolved with nobody's answer (it timed out, or the agent withdrew it).
   */
  | { kind: 'interaction'; phase: 'asked' | 'requested' | 'resolved' | 'closed'; text: string }
  | { kind: 'finished'; outcome: string; summary: string; error?: string }
  | { kind: 'note'; text: string };

export type LogEntryKind = LogEntry['kind'];

/** What a tool call was given, shaped for display. */
export type ToolInput =
  | { type: 'command'; command: string; cwd?: string }
  | { type: 'edit'; path: string; before: string; after: string }
  | { type: 'write'; path: string; content?: string; bytes?: number }
  | { type: 'path'; path: string }
  | { type: 'json'; text: string }
  | { type: 'none' };

type Data = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Data => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Data) : {});

/** How much of a tool input the log shows; longer values are cut (the API has all of it). */
export const SHOWN_INPUT_CHARS = 20_000;

function cut(text: string, max = SHOWN_INPUT_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters)` : text;
}

/** A command as a person would type it: argv joined, arguments with spaces quoted. */
export function showCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Reads the usual input shapes of shell, edit, write and read tools across agents. */
export function toolInput(kind: string, raw: unknown): ToolInput {
  if (raw === undefined || raw === null) return { type: 'none' };
  const d = obj(raw);
  const path = str(d['file_path']) ?? str(d['path']) ?? str(d['filePath']);
  const command = d['command'];
  if (Array.isArray(command) && command.every((a) => typeof a === 'string')) {
    return { type: 'command', command: cut(showCommand(command)), ...cwdOf(d) };
  }
  if (typeof command === 'string') return { type: 'command', command: cut(command), ...cwdOf(d) };
  if (path !== undefined) {
    const before = str(d['old_string']) ?? str(d['oldText']) ?? str(d['old_str']);
    const after = str(d['new_string']) ?? str(d['newText']) ?? str(d['new_str']);
    if (before !== undefined || after !== undefined) {
      return { type: 'edit', path, before: cut(before ?? ''), after: cut(after ?? '') };
    }
    const content = str(d['content']);
    if (kind === 'edit' || content !== undefined) {
      return {
        type: 'write',
        path,
        ...(content !== undefined ? { content: cut(content) } : {}),
        ...(num(d['bytes']) !== undefined ? { bytes: num(d['bytes']) } : {}),
      };
    }
    if (Object.keys(d).length === 1) return { type: 'path', path };
  }
  let text: string;
  try {
    text = typeof raw === 'string' ? raw : (JSON.stringify(raw, null, 2) ?? '');
  } catch {
    text = String(raw);
  }
  return { type: 'json', text: cut(text) };
}

function cwdOf(d: Data): { cwd?: string } {
  const cwd = str(d['cwd']) ?? str(d['workdir']);
  return cwd ? { cwd } : {};
}

function agentEntry(a: Data): LogEntry {
  const type = str(a['type']) ?? '';
  switch (type) {
    case 'session.started':
      return {
        kind: 'session',
        sessionId: str(a['sessionId']) ?? '',
        ...(str(a['model']) ? { model: str(a['model']) } : {}),
        resumed: a['resumed'] === true,
        demo: a['demo'] === true,
      };
    case 'message.delta':
      return {
        kind: 'delta',
        channel: a['channel'] === 'reasoning' ? 'reasoning' : 'text',
        text: str(a['text']) ?? '',
      };
    case 'message.completed':
      return {
        kind: 'message',
        role: a['role'] === 'user' ? 'user' : 'assistant',
        text: str(a['text']) ?? '',
        streamed: a['streamed'] === true,
      };
    case 'tool.started': {
      const toolKind = str(a['kind']) ?? 'other';
      const name = str(a['name']) ?? 'tool';
      return {
        kind: 'tool',
        toolCallId: str(a['toolCallId']) ?? '',
        name,
        toolKind,
        title: str(a['title']) ?? name,
        input: toolInput(toolKind, a['input']),
      };
    }
    case 'tool.output':
      return {
        kind: 'output',
        toolCallId: str(a['toolCallId']) ?? '',
        stream: a['stream'] === 'stderr' ? 'stderr' : 'stdout',
        text: cut(str(a['chunk']) ?? ''),
      };
    case 'tool.completed': {
      const output = str(a['output']);
      const exitCode = num(a['exitCode']);
      return {
        kind: 'tool-done',
        toolCallId: str(a['toolCallId']) ?? '',
        status: str(a['status']) ?? 'ok',
        ...(exitCode !== undefined ? { exitCode } : {}),
        ...(output ? { output: cut(output) } : {}),
        streamed: a['streamed'] === true,
      };
    }
    case 'approval.requested':
      return {
        kind: 'interaction',
        phase: 'asked',
        text: approvalLine({ toolName: str(a['toolName']) ?? 'a tool', summary: str(a['summary']) ?? '' }),
      };
    case 'question.requested':
      return { kind: 'interaction', phase: 'asked', text: questionsText(a['questions']) };
    case 'request.withdrawn':
      return { kind: 'interaction', phase: 'closed', text: 'The agent withdrew its request' };
    case 'usage': {
      const costUsd = num(a['costUsd']);
      return {
        kind: 'usage',
        inputTokens: num(a['inputTokens']) ?? 0,
        outputTokens: num(a['outputTokens']) ?? 0,
        ...(costUsd !== undefined ? { costUsd } : {}),
      };
    }
    case 'warning':
      return { kind: 'warning', text: str(a['message']) ?? '' };
    case 'stderr':
      return { kind: 'stderr', text: cut(str(a['line']) ?? '') };
    case 'turn.completed': {
      const text = str(a['error']) ?? str(a['finalText']);
      return { kind: 'turn', status: str(a['status']) ?? 'completed', ...(text ? { text } : {}) };
    }
    case 'process.exited': {
      const code = num(a['code']);
      const signal = str(a['signal']);
      return {
        kind: 'note',
        text: `Agent process exited${code !== undefined ? ` with code ${code}` : ''}${signal ? ` (${signal})` : ''}`,
      };
    }
    default:
      return { kind: 'note', text: `agent ${type || 'event'}` };
  }
}

/** What the agent asks, in the log: its first question's words, and how many more there are. */
function questionsText(questions: unknown): string {
  const texts = (Array.isArray(questions) ? questions : []).flatMap((q) => str(obj(q)['text']) ?? []);
  if (texts.length === 0) return 'A question';
  const more = texts.length - 1;
  return cut(`${texts[0]}${more > 0 ? ` (and ${more} more question${more === 1 ? '' : 's'})` : ''}`);
}

function answerText(answer: Data): string {
  switch (answer['kind']) {
    case 'approval': {
      const decision = str(answer['decision']);
      const label =
        decision === 'allow_once'
          ? 'allowed once'
          : decision === 'allow_session'
            ? 'allowed for this session'
            : 'denied';
      return answer['stop'] === true ? `${label}, and stopped` : label;
    }
    case 'question':
      return 'answered';
    case 'timeout':
      return 'timed out (denied)';
    case 'withdrawn':
      return 'withdrawn (no answer needed)';
    default:
      return 'resolved';
  }
}

/**
 * The channel of a streamed text or reasoning delta, else null. A delta that follows one of the
 * same channel continues its run: the log draws the run as one block (its label once).
 */
export function deltaChannel(event: AttemptEvent | undefined): 'text' | 'reasoning' | null {
  if (event?.type !== 'job.agent') return null;
  const agent = obj(event.data['event']);
  if (agent['type'] !== 'message.delta') return null;
  return agent['channel'] === 'reasoning' ? 'reasoning' : 'text';
}

/**
 * How the attempt's steps read in its log (`job.state` carries the machine's state names). A state
 * this version does not know (a newer runner's) reads as its name, spaced.
 */
const STATE_WORDS: ReadonlyMap<string, string> = new Map([
  ['claimed', 'Claimed'],
  ['preparing', 'Preparing the work directory'],
  ['running', 'Agent running'],
  ['awaiting_input', 'Waiting for an answer'],
  ['retrying', 'Retrying the agent'],
  ['stopping', 'Stopping'],
  ['publishing', 'Publishing the work'],
  ['reporting', 'Reporting to the server'],
  ['done', 'Done'],
  ['lease_lost', 'Lease lost: another runner may have the job'],
]);

function stateWords(state: string): string {
  return STATE_WORDS.get(state) ?? state.replace(/_/g, ' ');
}

/** The row an attempt event is drawn as. */
export function toLogEntry(event: AttemptEvent): LogEntry {
  const d = event.data;
  switch (event.type) {
    case 'job.agent':
      return agentEntry(obj(d['event']));
    case 'job.claimed':
      return { kind: 'state', state: `Claimed: ${str(d['title']) ?? ''}`.trim() };
    case 'job.state':
      return { kind: 'state', state: stateWords(str(d['state']) ?? '') };
    case 'job.log': {
      const level = d['level'] === 'warn' || d['level'] === 'error' ? d['level'] : 'info';
      return { kind: 'log', level, text: str(d['message']) ?? '' };
    }
    case 'approval.decided':
      return {
        kind: 'policy',
        decision: str(d['decision']) ?? '',
        toolName: str(d['toolName']) ?? '',
        reason: str(d['reason']) ?? '',
      };
    case 'interaction.requested': {
      const request = obj(d['request']);
      const text =
        request['kind'] === 'approval'
          ? `Approval requested: ${approvalLine({ toolName: str(request['toolName']) ?? 'a tool', summary: str(request['summary']) ?? '' })}`
          : 'Question asked';
      return { kind: 'interaction', phase: 'requested', text };
    }
    case 'interaction.resolved': {
      const by = str(d['by']);
      const person = by === 'runner' || by === 'web';
      return {
        kind: 'interaction',
        phase: person || by === undefined ? 'resolved' : 'closed',
        text: `${answerText(obj(d['answer']))}${person ? ` (from the ${by})` : ''}`,
      };
    }
    case 'job.finished': {
      const error = obj(d['error']);
      const message = str(error['message']);
      return {
        kind: 'finished',
        outcome: str(d['outcome']) ?? '',
        summary: str(d['summary']) ?? '',
        ...(message ? { error: `${str(error['code']) ?? 'error'}: ${message}` } : {}),
      };
    }
    default:
      return { kind: 'note', text: event.type };
  }
}

/** The text a log search looks through for one event (what its row shows). */
export function searchableText(entry: LogEntry): string {
  switch (entry.kind) {
    case 'tool': {
      const i = entry.input;
      const input =
        i.type === 'command'
          ? i.command
          : i.type === 'edit'
            ? `${i.path}\n${i.before}\n${i.after}`
            : i.type === 'write'
              ? `${i.path}\n${i.content ?? ''}`
              : i.type === 'path'
                ? i.path
                : i.type === 'json'
                  ? i.text
                  : '';
      return `${entry.title}\n${input}`;
    }
    case 'tool-done':
      return `${entry.status} ${entry.output ?? ''}`;
    case 'session':
      return `${entry.sessionId} ${entry.model ?? ''}`;
    case 'usage':
      return '';
    case 'policy':
      return `${entry.decision} ${entry.toolName} ${entry.reason}`;
    case 'state':
      return entry.state;
    case 'turn':
      return `${entry.status} ${entry.text ?? ''}`;
    case 'finished':
      return `${entry.outcome} ${entry.summary} ${entry.error ?? ''}`;
    default:
      return entry.text;
  }
}
