/**
 * Escape sequences as ECMA-48 defines them: CSI (`ESC [` or the 8-bit U+009B, parameters,
 * intermediates, a final byte), OSC/DCS/APC/PM/SOS strings up to BEL or ST (window titles,
 * hyperlinks, clipboard writes), and two-character escapes. Node's stripVTControlCharacters
 * misreads OSC strings with spaces in them, so the grammar is spelled out here.
 */
const SEQUENCE =
  // eslint-disable-next-line no-control-regex
  /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d-\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)|\u001b[ -/]*[0-~]/g;

/**
 * Characters a terminal acts on instead of printing, left after escape sequences are stripped:
 * C0 controls except tab and newline (a lone ESC, BEL, backspace, ...), DEL, C1 controls (U+009B
 * is a one-character CSI to some terminals), and the bidirectional overrides and isolates, which
 * reorder what is shown without changing what is there.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function visible(ch: string): string {
  const code = ch.codePointAt(0)!;
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * Text from a server or an agent, made safe to print: escape sequences (colours, cursor moves,
 * OSC titles and hyperlinks) are removed, and any other control character is shown as an escape
 * (`\x1b`), so a job can neither rewrite the terminal nor fake or hide output. A carriage return
 * becomes a line break: on its own it would let a line be overwritten by the next.
 */
export function terminalSafe(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(SEQUENCE, '').replace(UNSAFE, visible);
}

/**
 * JSON for a terminal: JSON.stringify already escapes C0 controls; this also escapes DEL, C1
 * controls and bidi overrides (as `\uXXXX`, so the output is the same JSON value).
 */
export function terminalJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(
    UNSAFE,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** One line of plain text, cut to the width (by code points: close enough for a table or status line). */
export function fitLine(text: string, columns: number): string {
  const chars = [...text.replace(/\s*\n\s*/g, ' ')];
  const max = Math.max(10, columns - 1);
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * Table rows from a server or an agent, made safe, one line each: at a terminal (`columns`) cut
 * to its width, as a wrapped row breaks the columns (`--json` has them whole); whole when piped
 * (`columns` null), for grep.
 */
export function tableRows(lines: readonly string[], columns: number | null): string {
  const safe = lines.map(terminalSafe);
  return (columns ? safe.map((line) => fitLine(line, columns)) : safe).join('\n');
}
