import { RUNNER_ID_HEADER, idSchema, toErrorIssues } from '@coord/runner-protocol';
import type { z } from 'zod';
import { ApiError } from '../errors.js';
import type { Ctx } from './context.js';

/** Largest JSON body accepted (an event batch of 500 events is well under this). */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

function invalid(error: z.ZodError, what: string): ApiError {
  const issues = toErrorIssues(error);
  return new ApiError(
    400,
    'request.invalid',
    `Invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    {
      issues,
    },
  );
}

/** Parses the JSON body with a protocol schema; unknown fields are dropped, bad ones named. */
export async function readBody<S extends z.ZodType>(c: Ctx, schema: S): Promise<z.output<S>> {
  const length = Number(c.req.header('content-length') ?? '0');
  if (length > MAX_JSON_BYTES) {
    throw new ApiError(413, 'request.invalid', `Request body is larger than ${MAX_JSON_BYTES} bytes`);
  }
  const text = await c.req.text();
  let json: unknown;
  try {
    json = text.length === 0 ? undefined : JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, 'request.invalid', `Malformed JSON body: ${(error as Error).message}`, {
      issues: [{ path: '(root)', message: 'malformed JSON' }],
    });
  }
  const result = schema.safeParse(json);
  if (!result.success) throw invalid(result.error, 'request body');
  return result.data;
}

/** Like readBody, but an empty body is `{}` (for endpoints whose body is optional). */
export async function readOptionalBody<S extends z.ZodType>(c: Ctx, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  if (text.trim().length === 0) {
    const result = schema.safeParse({});
    if (!result.success) throw invalid(result.error, 'request body');
    return result.data;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, 'request.invalid', `Malformed JSON body: ${(error as Error).message}`, {
      issues: [{ path: '(root)', message: 'malformed JSON' }],
    });
  }
  const result = schema.safeParse(json);
  if (!result.success) throw invalid(result.error, 'request body');
  return result.data;
}

export function parseValue<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = toErrorIssues(result.error).map((i) => ({
      ...i,
      path: i.path === '(root)' ? what : `${what}.${i.path}`,
    }));
    throw new ApiError(
      400,
      'request.invalid',
      `Invalid ${what}: ${issues.map((i) => i.message).join('; ')}`,
      { issues },
    );
  }
  return result.data;
}

/** A path id (runner, attempt, job, interaction) in the protocol's id alphabet. */
export function idParam(c: Ctx, name: string): string {
  return parseValue(idSchema, c.req.param(name), name);
}

/** The `Coord-Runner-Id` header attempt calls must carry. */
export function runnerIdHeader(c: Ctx): string {
  const value = c.req.header(RUNNER_ID_HEADER);
  if (value === undefined) {
    throw new ApiError(400, 'request.invalid', `The ${RUNNER_ID_HEADER} header is required`, {
      issues: [{ path: RUNNER_ID_HEADER, message: 'required' }],
    });
  }
  return parseValue(idSchema, value, RUNNER_ID_HEADER);
}
