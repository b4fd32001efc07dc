/** What the demo agent did, for its final words (the job's work summary). */
export interface DemoRecord {
  said: number;
  wrote: string[];
  ran: Array<{ command: string; exitCode: number | null }>;
}

function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

export function summarizeDemo(record: DemoRecord, stepCount: number): string {
  const parts: string[] = [];
  if (record.said > 0) parts.push(`said ${record.said} thing${record.said === 1 ? '' : 's'}`);
  if (record.wrote.length > 0) parts.push(`wrote ${list(record.wrote)}`);
  if (record.ran.length > 0)
    parts.push(`ran ${list(record.ran.map((r) => `\`${r.command}\` (exit ${r.exitCode ?? 'unknown'})`))}`);
  const what = parts.length > 0 ? parts.join('; ') : 'did nothing';
  return `Demo agent (scripted, no AI) followed its ${stepCount}-step plan: ${what}.`;
}
