import { styleText } from 'node:util';
import { approvalLine } from '@coord/runner-protocol';
import type { AgentEvent, RunnerEvent } from '@coord/runner-core';
import { STATE_LABELS } from './attempt-states.js';
import { terminalSafe } from './terminal-text.js';

type Style = Parameters<typeof styleText>[0];

/**
 * Turns runner events into terminal lines. Returns null for events not worth a line. Every line
 * goes through `paint`, which neutralises control characters: titles, messages and agent output
 * come from the server or the agent.
 */
export interface RenderOptions {
  color: boolean;
  /**
   * At most this many lines of a tool result that did not stream (Claude Code sends a command's
   * output only with its result): a live terminal shows its start, `logs` all of it. Default 6.
   */
  resultLines?: number;
}

export function renderEvent(event: RunnerEvent, options: RenderOptions): string | null {
  const paint = (style: Style | null, text: string) => {
    const safe = terminalSafe(text);
    return options.color && style ? styleText(style, safe) : safe;
  };
  switch (event.type) {
    case 'runner.status':
      return paint(
        'dim',
        `runner ${event.connection ? `${event.connection}: ` : ''}${event.status}${event.runnerId ? ` (${event.runnerId})` : ''}${event.message ? `: ${event.message}` : ''}`,
      );
    case 'runner.error':
      return paint('yellow', `runner: ${event.error.message}`);
    case 'job.claimed':
      return paint(
        'bold',
        `▶ job ${event.jobId} "${event.title}" (attempt ${event.attemptNumber}, agent ${event.agent ?? 'unknown'})`,
      );
    case 'job.state':
      // A state from a newer runner core reads as its name.
      return paint(
        'dim',
        `  ◦ ${Object.hasOwn(STATE_LABELS, event.state) ? STATE_LABELS[event.state] : event.state}`,
      );
    case 'job.log':
      return paint(event.level === 'info' ? 'cyan' : 'yellow', `  · ${event.message}`);
    case 'job.retry':
      return paint(
        'yellow',
        `  ↻ retrying the agent in place (${event.retry} of ${event.maxRetries}) in ${Math.ceil(event.delayMs / 1000)} s: ${event.reason.message}`,
      );
    case 'job.agent':
      return renderAgent(event.event, paint, options.resultLines ?? 6);
    case 'approval.decided':
      // An ask is shown by the interaction it opens; automatic decisions get a line of their own.
      return event.decision === 'ask'
        ? null
        : paint(
            event.decision === 'allow' ? 'dim' : 'yellow',
            `  ${event.decision === 'allow' ? '✓ allowed' : '✗ denied'} ${event.toolName} by the permission policy: ${event.reason}`,
          );
    case 'interaction.requested':
      return paint(
        'magenta',
        `  ? ${event.request.kind === 'approval' ? `approve ${approvalLine(event.request)}` : event.request.questions.map((q) => q.text).join(' / ')} (id ${event.interactionId})`,
      );
    case 'interaction.resolved':
      return paint(
        'magenta',
        event.by === 'withdrawn' ? '  ✓ withdrawn (no answer needed)' : `  ✓ answered by ${event.by}`,
      );
    case 'job.finished': {
      const head = `■ job ${event.jobId} ${event.outcome}`;
      const pr = event.pullRequest
        ? `: pull request #${event.pullRequest.number} ${event.pullRequest.url}`
        : '';
      const outputs = event.outputs?.length ? `: ${event.outputs.length} output file(s)` : '';
      const error = event.error ? `: ${event.error.code}: ${event.error.message}` : '';
      return paint(
        event.outcome === 'failed' ? 'red' : event.outcome === 'succeeded' ? 'green' : 'yellow',
        head + pr + outputs + error,
      );
    }
  }
}

function renderAgent(
  event: AgentEvent,
  paint: (style: Style | null, text: string) => string,
  resultLines: number,
): string | null {
  switch (event.type) {
    case 'session.started':
      return paint(
        'dim',
        `  agent session ${event.sessionId}${event.resumed ? ' (resumed)' : ''}${event.demo ? ' [demo agent: scripted, no AI]' : ''}`,
      );
    case 'message.completed':
      return paint(null, indent(`agent: ${event.text}`));
    case 'tool.started':
      return paint('blue', `  ▸ ${event.name}${event.title ? ` ${event.title}` : ''}`);
    case 'tool.output':
      return paint('dim', indent(event.chunk.replace(/\n$/, ''), '    │ '));
    case 'tool.completed': {
      const status = paint(
        event.status === 'ok' ? 'dim' : 'red',
        `    ${event.status}${event.exitCode !== undefined ? ` (exit ${event.exitCode})` : ''}`,
      );
      // Output that streamed is on the screen already; a result's own comes before its status.
      if (!event.output || event.streamed) return status;
      const lines = event.output.replace(/\n$/, '').split('\n');
      const more = lines.length - resultLines;
      const shown =
        more > 0 ? [...lines.slice(0, resultLines), `… ${more} more line${more === 1 ? '' : 's'}`] : lines;
      return `${paint('dim', indent(shown.join('\n'), '    │ '))}\n${status}`;
    }
    case 'approval.requested':
    case 'question.requested':
    case 'request.withdrawn':
    case 'message.delta':
    case 'usage':
      return null;
    case 'warning':
      return paint('yellow', `  ! ${event.message}`);
    case 'stderr':
      return paint('dim', `  stderr: ${event.line}`);
    case 'turn.completed':
      return paint('dim', `  agent turn ${event.status}${event.error ? `: ${event.error}` : ''}`);
    case 'process.exited':
      return null;
  }
}

/** Sanitised first, so a carriage return turned into a line break gets its prefix too. */
function indent(text: string, prefix = '  '): string {
  return terminalSafe(text)
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}
