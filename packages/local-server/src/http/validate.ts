import { RUNNER_ID_HEADER, describeIssues, idSchema, toErrorIssues } from '@coord/runner-protocol';
import type { z } from 'zod';
import { ApiError } from '../errors.js';
import { BODY_LIMITS, bodySource, readJson } from './body.js';
import type { Ctx } from './context.js';

function invalid(error: z.ZodError, what: string): ApiError {
  const issues = toErrorIssues(error);
  return new ApiError(
    400,
    'request.invalid',
    `Invalid ${what}: ${describeIssues(issues, error.issues.length)}`,
    {
      issues,
    },
  );
}

/** Parses the JSON body with a protocol schema; unknown fields are dropped, bad ones named. */
export async function readBody<S extends z.ZodType>(
  c: Ctx,
  schema: S,
  limit: number = BODY_LIMITS.json,
): Promise<z.output<S>> {
  const result = schema.safeParse(await readJson(bodySource(c), limit));
  if (!result.success) throw invalid(result.error, 'request body');
  return result.data;
}

/** Like readBody, but an empty body is `{}` (for endpoints whose body is optional). */
export async function readOptionalBody<S extends z.ZodType>(
  c: Ctx,
  schema: S,
  limit: number = BODY_LIMITS.small,
): Promise<z.output<S>> {
  const result = schema.safeParse((await readJson(bodySource(c), limit)) ?? {});
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
