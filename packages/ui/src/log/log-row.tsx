import type { AttemptEvent, AttemptStatus } from '@coord/runner-protocol';
import { memo, type ReactNode } from 'react';
import { formatCount } from '../job/format.js';
import { attemptStatusLabel } from '../job/job-status.js';
import { toLogEntry, type LogEntry, type ToolInput } from './log-entry.js';

/** The lines of a text; a final newline ends the last line rather than starting an empty one. */
const linesOf = (text: string): string[] => (text ? text.replace(/\n$/, '').split('\n') : []);

/** A unified-style diff of an edit: removed lines, then added lines. */
export function DiffView({ path, before, after }: { path: string; before: string; after: string }) {
  const lines = [
    ...linesOf(before).map((l) => ['del', l] as const),
    ...linesOf(after).map((l) => ['add', l] as const),
  ];
  return (
    <div className="cr-diff" aria-label={`Changes to ${path}`}>
      <div className="cr-diff-path">{path}</div>
      <pre className="cr-diff-body">
        {lines.map(([kind, line], i) => (
          <span key={i} className={`cr-diff-line cr-diff-${kind}`}>
            {kind === 'add' ? '+ ' : '- '}
            {line}
            {'\n'}
          </span>
        ))}
      </pre>
    </div>
  );
}

/** A command short enough to sit on the tool's own line (most of them): the row stays one line. */
const inlineCommand = (input: ToolInput): string | null =>
  input.type === 'command' && !input.cwd && !input.command.includes('\n') && input.command.length <= 100
    ? input.command
    : null;

function ToolInputView({ input }: { input: ToolInput }) {
  if (inlineCommand(input) !== null) return null;
  switch (input.type) {
    case 'command':
      return (
        <pre className="cr-code cr-command">
          <span className="cr-prompt">$ </span>
          {input.command}
          {input.cwd ? <span className="cr-muted">{`\n# in ${input.cwd}`}</span> : null}
        </pre>
      );
    case 'edit':
      return <DiffView path={input.path} before={input.before} after={input.after} />;
    case 'write':
      return input.content !== undefined ? (
        <DiffView path={input.path} before="" after={input.content} />
      ) : (
        <div className="cr-muted cr-mono">
          {input.path}
          {input.bytes !== undefined ? ` · ${input.bytes} bytes` : ''}
        </div>
      );
    case 'path':
      return <div className="cr-muted cr-mono">{input.path}</div>;
    case 'json':
      return (
        <details className="cr-json">
          <summary>Input</summary>
          <pre className="cr-code">{input.text}</pre>
        </details>
      );
    case 'none':
      return null;
  }
}

/** A Map, not an object: a tool kind is whatever the agent sent (`constructor` included). */
const TOOL_ICON: ReadonlyMap<string, string> = new Map([
  ['shell', '❯'],
  ['edit', '✎'],
  ['read', '▤'],
  ['search', '⌕'],
  ['web', '◍'],
  ['mcp', '⬡'],
  ['question', '?'],
  ['plan', '☰'],
]);

const LEVEL_LABEL = { info: undefined, warn: 'Warning', error: 'Error' } as const;

/** An outcome as the attempt card says it ("No changes"); one this UI does not know, as sent. */
const outcomeLabel = (outcome: string): string => attemptStatusLabel(outcome as AttemptStatus);

function Line({ kind, label, children }: { kind: string; label?: string; children: ReactNode }) {
  return (
    <div className={`cr-entry cr-entry-${kind}`}>
      {label ? <span className="cr-entry-label">{label}</span> : null}
      <div className="cr-entry-body">{children}</div>
    </div>
  );
}

/** One log entry, drawn by its kind. Every string is rendered as text. */
export function LogEntryView({ entry, continues = false }: { entry: LogEntry; continues?: boolean }) {
  return drawEntry(entry, continues);
}

/** `continues`: a delta after one of its channel (see `deltaChannel`), drawn without its label. */
function drawEntry(entry: LogEntry, continues: boolean): ReactNode {
  switch (entry.kind) {
    case 'message':
      return (
        <Line kind={`message cr-role-${entry.role}`} label={entry.role === 'user' ? 'You' : 'Agent'}>
          {entry.streamed ? (
            // Its words are the delta rows above: offered whole, not shown a second time.
            <details className="cr-streamed">
              <summary className="cr-muted">The whole message (streamed above)</summary>
              <div className="cr-text">{entry.text}</div>
            </details>
          ) : (
            <div className="cr-text">{entry.text}</div>
          )}
        </Line>
      );
    case 'delta': {
      // A streamed answer or train of thought comes as a run of rows, about a line each: labelled
      // once, the rest aligned under the first (the label kept in place, unseen and unread).
      const label = entry.channel === 'reasoning' ? 'Thinking' : 'Agent';
      return (
        <div className={`cr-entry cr-entry-delta cr-channel-${entry.channel}`}>
          <span className={`cr-entry-label${continues ? ' cr-label-kept' : ''}`} aria-hidden={continues}>
            {label}
          </span>
          <div className="cr-entry-body">
            <span className="cr-text">{entry.text}</span>
          </div>
        </div>
      );
    }
    case 'session':
      return (
        <Line kind="session">
          <span className="cr-muted">
            {entry.resumed ? 'Resumed' : 'Started'} agent session <code>{entry.sessionId}</code>
            {entry.model ? ` · ${entry.model}` : ''}
            {entry.demo ? ' · demo agent: scripted, no AI' : ''}
          </span>
        </Line>
      );
    case 'tool':
      return (
        <div className="cr-entry cr-entry-tool" data-tool-kind={entry.toolKind}>
          <div className="cr-tool-head">
            <span className="cr-tool-icon" aria-hidden="true">
              {TOOL_ICON.get(entry.toolKind) ?? '•'}
            </span>
            <span className="cr-tool-title">{entry.title}</span>
            {inlineCommand(entry.input) !== null ? (
              <code className="cr-inline-command">$ {inlineCommand(entry.input)}</code>
            ) : null}
            <span className="cr-tool-name">{entry.name}</span>
          </div>
          <ToolInputView input={entry.input} />
        </div>
      );
    case 'output':
      return (
        <pre className={`cr-entry cr-entry-output cr-stream-${entry.stream}`}>
          {entry.text.replace(/\n$/, '')}
        </pre>
      );
    case 'tool-done': {
      const failed = entry.status !== 'ok';
      return (
        <div className={`cr-entry cr-entry-tool-done ${failed ? 'cr-failed' : ''}`}>
          <span className={`cr-pill cr-pill-${entry.status}`}>
            {entry.status}
            {entry.exitCode !== undefined ? ` · exit ${entry.exitCode}` : ''}
          </span>
          {!entry.output ? null : entry.streamed ? (
            // Its output is the rows above: offered whole, not shown a second time.
            <details className="cr-streamed">
              <summary className="cr-muted">The whole output (streamed above)</summary>
              <pre className="cr-code cr-result">{entry.output}</pre>
            </details>
          ) : (
            <pre className="cr-code cr-result">{entry.output}</pre>
          )}
        </div>
      );
    }
    case 'warning':
      return (
        <Line kind="warning" label="Warning">
          <span className="cr-text">{entry.text}</span>
        </Line>
      );
    case 'stderr':
      return <pre className="cr-entry cr-entry-stderr">{entry.text}</pre>;
    case 'usage':
      return (
        <Line kind="usage">
          <span className="cr-muted">
            {formatCount(entry.inputTokens)} tokens in · {formatCount(entry.outputTokens)} out
            {entry.costUsd !== undefined ? ` · $${entry.costUsd.toFixed(4)}` : ''}
          </span>
        </Line>
      );
    case 'turn':
      return (
        <Line kind={`turn cr-turn-${entry.status}`} label={`Turn ${entry.status}`}>
          {!entry.text ? null : entry.status === 'completed' ? (
            // A completed turn's result is its last message again (shown above): offered, folded.
            <details className="cr-streamed">
              <summary className="cr-muted">Its result</summary>
              <div className="cr-text">{entry.text}</div>
            </details>
          ) : (
            <span className="cr-text">{entry.text}</span>
          )}
        </Line>
      );
    case 'state':
      return (
        <Line kind="state">
          <span className="cr-muted">{entry.state}</span>
        </Line>
      );
    case 'log':
      return (
        <Line kind={`log cr-level-${entry.level}`} label={LEVEL_LABEL[entry.level]}>
          <span className="cr-muted">{entry.text}</span>
        </Line>
      );
    case 'policy':
      return (
        <Line kind={`policy cr-decision-${entry.decision}`} label={`Policy: ${entry.decision}`}>
          <span>
            <code>{entry.toolName}</code> {entry.reason}
          </span>
        </Line>
      );
    case 'interaction':
      return (
        <Line
          kind={`interaction cr-${entry.phase}`}
          label={{ asked: 'Asks', requested: 'Waiting', resolved: 'Answered', closed: 'Closed' }[entry.phase]}
        >
          <span className="cr-text">{entry.text}</span>
        </Line>
      );
    case 'finished':
      return (
        <Line
          kind={`finished cr-outcome-${entry.outcome}`}
          label={`Finished: ${outcomeLabel(entry.outcome)}`}
        >
          <span className="cr-text">
            {entry.summary}
            {entry.error ? `\n${entry.error}` : ''}
          </span>
        </Line>
      );
    case 'note':
      return (
        <Line kind="note">
          <span className="cr-muted">{entry.text}</span>
        </Line>
      );
  }
}

/**
 * An attempt event as a log row, or a placeholder while it loads; drawn again only when the
 * event itself changes (not on scroll). The placeholder is the element an output line is (most
 * lines are), and both are this component's own element, so a line that loads, or a row that
 * scrolls from one output line to another, updates an element instead of replacing it.
 */
export const LogRow = memo(function LogRow({
  event,
  continues = false,
}: {
  event: AttemptEvent | undefined;
  continues?: boolean;
}) {
  return event ? (
    drawEntry(toLogEntry(event), continues)
  ) : (
    <pre className="cr-entry cr-loading">Loading…</pre>
  );
});
