import { describe, expect, it } from 'vitest';
import { measureRedaction } from '../redact.js';

// A tiny run of the redaction benchmark: it must work. Speed is printed by `pnpm bench redact`.
describe('redaction benchmark (smoke size)', () => {
  it('redacts a few chunks', () => {
    const result = measureRedaction({ chunks: 5, chunkBytes: 4096, secrets: 2 });
    expect(result).toMatchObject({ bench: 'redact', chunks: 5, checksum: true });
  });
});
