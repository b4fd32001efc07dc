import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a byte stream into lines. UTF-8 sequences cut between chunks are reassembled; a line
 * longer than `maxLineLength` is cut there (the rest up to the next newline is dropped) so that a
 * runaway agent cannot grow memory without bound. Agent lines can legitimately be large (tool
 * results), hence a generous default.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private dropping = false;

  constructor(
    private readonly onLine: (line: string, truncated: boolean) => void,
    private readonly maxLineLength = 16 * 1024 * 1024,
  ) {}

  push(chunk: Buffer | string): void {
    this.feed(typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
  }

  /** Flushes a last line that had no newline (an agent that died mid-line). */
  end(): void {
    this.feed(this.decoder.end());
    if (this.pending.length > 0 || this.dropping) this.emit(this.pending, this.dropping);
    this.pending = '';
    this.dropping = false;
  }

  private feed(text: string): void {
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      const piece = text.slice(start, nl);
      if (this.dropping) this.emit(this.pending, true);
      else this.emit(this.pending + piece, false);
      this.pending = '';
      this.dropping = false;
      start = nl + 1;
    }
    if (this.dropping) return;
    this.pending += text.slice(start);
    if (this.pending.length > this.maxLineLength) {
      this.pending = this.pending.slice(0, this.maxLineLength);
      this.dropping = true;
    }
  }

  private emit(line: string, truncated: boolean): void {
    this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line, truncated);
  }
}
