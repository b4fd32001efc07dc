import { describe, expect, it } from 'vitest';
import { ApiError } from '../client/api-error.js';
import { CoordError } from '../errors.js';
import { classifyRefusal } from './refusal.js';

const http = (status: number, serverCode: string | null = null) =>
  new ApiError({ code: 'api.http_error', status, method: 'POST', path: '/v1/x', serverCode }, 'x', {
    retryable: status >= 500,
  });

describe('classifyRefusal', () => {
  it.each([
    [new CoordError('lease.lost', 'lost'), 'gone'],
    [new CoordError('attempt.refused', 'refused'), 'gone'],
    [http(409, 'lease.lost'), 'gone'],
    [http(404, 'attempt.not_found'), 'gone'],
    [http(403), 'gone'],
    [http(410), 'gone'],
    [http(413, 'request.invalid'), 'split'],
    [http(400, 'request.invalid'), 'split'],
    [http(422), 'split'],
    [http(401, 'auth.invalid_token'), 'signed_out'],
    [http(401), 'signed_out'],
    [new CoordError('auth.invalid_token', 'refused'), 'signed_out'],
    [http(429), 'retry'],
    [http(503), 'retry'],
    [http(0), 'retry'],
    [new Error('boom'), 'retry'],
  ])('%s is %s', (error, expected) => {
    expect(classifyRefusal(error)).toBe(expected);
  });
});
