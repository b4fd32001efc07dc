import { createHash } from 'node:crypto';
import {
  answerRequestSchema,
  artifactResponseSchema,
  completeResponseSchema,
  describeIssues,
  HINT_EVENT,
  eventAckSchema,
  eventPageSchema,
  interactionResponseSchema,
  jobListSchema,
  jobResponseSchema,
  leaseRenewResponseSchema,
  meResponseSchema,
  runnerPresenceResponseSchema,
  signOutResponseSchema,
  webSignInLinkSchema,
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  registerRunnerResponseSchema,
  routes,
  RUNNER_ID_HEADER,
  runnerHintSchema,
  ARTIFACT_SHA256_HEADER,
  type AnswerRequest,
  type ArtifactView,
  type WebSignInLink,
  type ClaimRequest,
  type CompleteRequest,
  type CompleteResponse,
  type EventPage,
  type InteractionAnswer,
  type InteractionRequest,
  type InteractionView,
  type JobStatus,
  type JobSubmission,
  type JobView,
  type LeaseRenewRequest,
  type LeaseRenewResponse,
  type MeResponse,
  type SignOutResponse,
  type RegisterRunnerRequest,
  type RequestChanges,
  type RegisterRunnerResponse,
  type RunnerHint,
  type RunnerPresenceRequest,
} from '@coord/runner-protocol';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import pRetry, { AbortError } from 'p-retry';
import { z } from 'zod';
import { CoordError, registerSecret } from '../errors.js';
import { pRetryTiming } from '../retry.js';
import { ApiError, describeCause, errorFromResponse } from './api-error.js';
import { fetchTransport, nodeTransport, type HttpAnswer } from './http-transport.js';
import { completionBody, eventBatchBody, type EventLines } from './request-bodies.js';

export { eventBatchBody, type EventLines } from './request-bodies.js';

export interface CoordClientOptions {
  /** e.g. `http://127.0.0.1:7420`; paths under `/v1` are appended. */
  baseUrl: string;
  token: string;
  /** Injected in tests: then every request goes through it (node's http and https otherwise). */
  fetch?: typeof fetch;
  /** Retries after the first try for network errors and 5xx (never 4xx). Default 4. */
  retries?: number;
  /** First backoff delay in ms; doubles with jitter, capped at `maxRetryDelayMs`. Default 250. */
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  userAgent?: string;
}

/** The raw claim answer: the runner parses the assignment itself so it can report a bad one. */
const rawClaimResponseSchema = z.object({ assignment: z.unknown().nullable() });
/** The raw reattach answer (ReattachResponse), for the same reason. */
const rawReattachResponseSchema = z.object({ assignment: z.unknown() });

interface RequestOptions<T> {
  body?: unknown;
  /** A body already serialized as JSON (sent as is, as `application/json`). */
  json?: Uint8Array;
  raw?: Uint8Array;
  /** Extra request headers (the artifact checksum). */
  headers?: Record<string, string>;
  schema: z.ZodType<T>;
  runnerId?: string;
  signal?: AbortSignal;
  query?: Record<string, string | number | undefined>;
  /** Long polls get no retries of their own: the caller's loop retries. */
  retries?: number;
}

export interface AnswerOutcome {
  won: boolean;
  answer: InteractionAnswer;
  by: 'runner' | 'web';
}

export interface CoordClient {
  readonly baseUrl: string;
  /**
   * Sends `token` from now on (the user signed in again); false when it is the one in use. A call
   * that was refused with the token it replaces is tried again with this one.
   */
  useToken(token: string): boolean;
  me(): Promise<MeResponse>;
  /** Revokes this client's token on the server if a device sign-in minted it. */
  signOut(): Promise<SignOutResponse>;
  /** A one-time link that signs this token's account in to the server's web page. */
  webSignInLink(): Promise<WebSignInLink>;
  register(request: RegisterRunnerRequest): Promise<RegisterRunnerResponse>;
  /** Tells the server the runner drains or is gone, as it stops (see the protocol's presence). Not retried. */
  setPresence(runnerId: string, request: RunnerPresenceRequest, signal?: AbortSignal): Promise<void>;
  /** Long poll. Resolves with the raw assignment (validated by the runner) or null. */
  claim(runnerId: string, request: ClaimRequest, signal?: AbortSignal): Promise<unknown>;
  renewLease(runnerId: string, attemptId: string, request: LeaseRenewRequest): Promise<LeaseRenewResponse>;
  /**
   * After a restart: takes up an attempt this runner still holds (the lease is renewed). Resolves
   * with the raw assignment, as a claim does; `409 lease.lost` when the attempt is no longer ours.
   */
  reattach(runnerId: string, attemptId: string): Promise<unknown>;
  /**
   * Uploads a batch of events as serialized (the spool's lines, sent without being parsed again);
   * resolves with the server's ack (highest contiguous seq it holds).
   */
  uploadEvents(
    runnerId: string,
    attemptId: string,
    events: EventLines,
    signal?: AbortSignal,
  ): Promise<number>;
  getEvents(attemptId: string, after?: number, limit?: number): Promise<EventPage>;
  putInteraction(
    runnerId: string,
    attemptId: string,
    interactionId: string,
    request: InteractionRequest,
  ): Promise<InteractionView>;
  getInteraction(attemptId: string, interactionId: string): Promise<InteractionView>;
  /** `won` is false when someone answered first; `answer` is then the winning answer. */
  answerInteraction(interactionId: string, request: AnswerRequest): Promise<AnswerOutcome>;
  /**
   * Reports how the attempt ended. `events`, the attempt's last events as spooled (one batch at
   * most), go with it: the server stores them first, which saves a short job an upload.
   */
  complete(
    runnerId: string,
    attemptId: string,
    request: CompleteRequest,
    signal?: AbortSignal,
    events?: EventLines,
  ): Promise<CompleteResponse>;
  uploadArtifact(runnerId: string, attemptId: string, path: string, bytes: Uint8Array): Promise<ArtifactView>;
  submitJob(workspaceId: string, submission: JobSubmission): Promise<JobView>;
  getJob(jobId: string): Promise<JobView>;
  listJobs(filter?: { workspace?: string; status?: JobStatus }): Promise<JobView[]>;
  cancelJob(jobId: string): Promise<JobView>;
  /** A reviewer's request for changes on a job in Awaiting Review: a revision attempt with `feedback`. */
  requestChanges(jobId: string, feedback: string): Promise<JobView>;
  /** Moves Backlog jobs to Ready together (all or none: one not in Backlog is a 409). */
  readyJobs(jobIds: readonly string[]): Promise<JobView[]>;
  /**
   * Opens the push hint stream and yields hints until it ends or `signal` aborts. Not retried:
   * the runner reconnects with backoff, and lease renewal polling covers the gaps.
   */
  hints(runnerId: string, signal: AbortSignal, onOpen?: () => void): AsyncIterable<RunnerHint>;
}

/** Creates the typed Coord API client: validated responses, jittered retries, redacted errors. */
export function createCoordClient(options: CoordClientOptions): CoordClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const transport = options.fetch ? fetchTransport(options.fetch) : nodeTransport();
  const defaultRetries = options.retries ?? 4;
  let token = options.token;
  registerSecret(token);

  function baseHeaders(accept: string, runnerId?: string): Record<string, string> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
      accept,
    };
    if (options.userAgent) headers['user-agent'] = options.userAgent;
    if (runnerId) headers[RUNNER_ID_HEADER] = runnerId;
    return headers;
  }

  async function once<T>(method: string, path: string, opts: RequestOptions<T>): Promise<T> {
    const headers = { ...baseHeaders('application/json', opts.runnerId), ...opts.headers };
    let body: string | Uint8Array | undefined;
    if (opts.raw) {
      headers['content-type'] = 'application/octet-stream';
      body = opts.raw;
    } else if (opts.json) {
      headers['content-type'] = 'application/json';
      body = opts.json;
    } else if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const query = opts.query
      ? Object.entries(opts.query)
          .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
          .join('&')
      : '';
    const url = `${baseUrl}${path}${query ? `?${query}` : ''}`;

    const sentToken = token;
    let response: HttpAnswer;
    try {
      response = await transport({
        method,
        url,
        headers,
        body,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (cause) {
      const aborted = opts.signal?.aborted ?? false;
      throw new ApiError(
        { code: 'api.network', status: 0, method, path },
        aborted
          ? `${method} ${path} was aborted`
          : `Cannot reach the Coord server at ${baseUrl} (${method} ${path}): ${describeCause(cause)}`,
        { cause, retryable: !aborted },
      );
    }

    let text: string;
    try {
      text = await response.text();
    } catch (cause) {
      // The connection dropped after the headers: as much a network error as one before them.
      const aborted = opts.signal?.aborted ?? false;
      throw new ApiError(
        { code: 'api.network', status: 0, method, path },
        aborted
          ? `${method} ${path} was aborted`
          : `The Coord server at ${baseUrl} dropped the connection while answering ${method} ${path} (${response.status}): ${describeCause(cause)}`,
        { cause, retryable: !aborted },
      );
    }
    const json = parseJson(text);

    // Refused with a token replaced meanwhile (a new sign-in): the answer is about the old one.
    if (response.status === 401 && token !== sentToken) return once(method, path, opts);
    if (response.status < 200 || response.status > 299)
      throw errorFromResponse(method, path, response.status, response.statusText, text, json);

    const result = opts.schema.safeParse(json);
    if (!result.success) {
      throw new ApiError(
        { code: 'api.invalid_response', status: response.status, method, path },
        `${method} ${path} returned a response the runner does not understand: ${describeIssues(
          result.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })),
        )}`,
        { retryable: false },
      );
    }
    return result.data;
  }

  function call<T>(method: string, path: string, opts: RequestOptions<T>): Promise<T> {
    return pRetry(
      async () => {
        try {
          return await once(method, path, opts);
        } catch (error) {
          if (error instanceof ApiError && !error.retryable) throw new AbortError(error);
          throw error;
        }
      },
      {
        retries: opts.retries ?? defaultRetries,
        ...pRetryTiming({
          minDelayMs: options.minRetryDelayMs ?? 250,
          maxDelayMs: options.maxRetryDelayMs ?? 5_000,
        }),
        signal: opts.signal,
      },
    ).catch((error: unknown) => {
      // p-retry wraps AbortError's payload; surface the ApiError itself.
      if (error instanceof AbortError) throw error.originalError;
      throw error;
    });
  }

  async function* streamHints(
    runnerId: string,
    signal: AbortSignal,
    onOpen?: () => void,
  ): AsyncGenerator<RunnerHint> {
    const path = routes.hints(runnerId);
    let response: HttpAnswer;
    try {
      response = await transport({
        method: 'GET',
        url: `${baseUrl}${path}`,
        headers: baseHeaders('text/event-stream', runnerId),
        signal,
      });
    } catch (cause) {
      if (signal.aborted) return;
      throw new ApiError(
        { code: 'api.network', status: 0, method: 'GET', path },
        `Cannot open the hint stream at ${baseUrl}: ${describeCause(cause)}`,
        { cause, retryable: !signal.aborted },
      );
    }
    if (response.status < 200 || response.status > 299) {
      const text = await response.text().catch(() => '');
      const json = parseJson(text);
      throw errorFromResponse('GET', path, response.status, response.statusText, text, json);
    }
    onOpen?.();
    // Messages as the parser finds them in the chunks (an event may be split across several).
    const messages: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (message) => messages.push(message) });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.chunks()) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        for (const message of messages.splice(0)) {
          if (message.event !== HINT_EVENT) continue;
          // A hint is only a hint: a garbled one is skipped, and lease polling still delivers.
          const hint = runnerHintSchema.safeParse(parseJson(message.data));
          if (hint.success) yield hint.data;
        }
      }
    } catch (cause) {
      if (signal.aborted) return;
      throw new ApiError(
        { code: 'api.network', status: 0, method: 'GET', path },
        `The hint stream broke: ${describeCause(cause)}`,
        { cause, retryable: true },
      );
    }
  }

  return {
    baseUrl,
    useToken(next) {
      if (next === token) return false;
      registerSecret(next);
      token = next;
      return true;
    },
    me: () => call('GET', routes.whoami(), { schema: meResponseSchema }),
    signOut: () => call('POST', routes.signOut(), { body: {}, schema: signOutResponseSchema }),
    webSignInLink: () => call('POST', routes.webSignIn(), { body: {}, schema: webSignInLinkSchema }),
    register: (request) =>
      call('POST', routes.register(), { body: request, schema: registerRunnerResponseSchema }),
    setPresence: async (runnerId, request, signal) => {
      await call('POST', routes.presence(runnerId), {
        body: request,
        schema: runnerPresenceResponseSchema,
        runnerId,
        retries: 0,
        ...(signal ? { signal } : {}),
      });
    },
    claim: async (runnerId, request, signal) => {
      const res = await call('POST', routes.claim(runnerId), {
        body: request,
        schema: rawClaimResponseSchema,
        runnerId,
        signal,
        retries: 0,
      });
      return res.assignment;
    },
    reattach: async (runnerId, attemptId) =>
      (
        await call('POST', routes.reattach(attemptId), {
          body: {},
          schema: rawReattachResponseSchema,
          runnerId,
          retries: 1,
        })
      ).assignment,
    renewLease: (runnerId, attemptId, request) =>
      call('POST', routes.lease(attemptId), {
        body: request,
        schema: leaseRenewResponseSchema,
        runnerId,
        retries: 1,
      }),
    uploadEvents: async (runnerId, attemptId, events, signal) =>
      (
        await call('POST', routes.events(attemptId), {
          json: eventBatchBody(events),
          schema: eventAckSchema,
          runnerId,
          ...(signal ? { signal } : {}),
        })
      ).ack,
    getEvents: (attemptId, after = 0, limit = 1000) =>
      call('GET', routes.events(attemptId), { schema: eventPageSchema, query: { after, limit } }),
    putInteraction: async (runnerId, attemptId, interactionId, request) =>
      (
        await call('PUT', routes.interaction(attemptId, interactionId), {
          body: request,
          schema: interactionResponseSchema,
          runnerId,
        })
      ).interaction,
    getInteraction: async (attemptId, interactionId) =>
      (await call('GET', routes.interaction(attemptId, interactionId), { schema: interactionResponseSchema }))
        .interaction,
    answerInteraction: async (interactionId, request) => {
      try {
        await call('POST', routes.answer(interactionId), {
          body: request,
          schema: interactionResponseSchema,
        });
        return { won: true, answer: request.answer, by: request.by };
      } catch (error) {
        if (error instanceof ApiError && error.serverCode === 'interaction.already_answered') {
          const winner = answerRequestSchema.safeParse(error.details);
          if (winner.success) return { won: false, answer: winner.data.answer, by: winner.data.by };
        }
        throw error;
      }
    },
    complete: (runnerId, attemptId, request, signal, events) =>
      call('POST', routes.complete(attemptId), {
        json: completionBody(request, events),
        schema: completeResponseSchema,
        runnerId,
        ...(signal ? { signal } : {}),
      }),
    uploadArtifact: async (runnerId, attemptId, path, bytes) => {
      // The server checks the bytes it got against this before storing them, and says what it stored.
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const { artifact } = await call('PUT', routes.artifact(attemptId, path), {
        raw: bytes,
        headers: { [ARTIFACT_SHA256_HEADER]: sha256 },
        schema: artifactResponseSchema,
        runnerId,
      });
      if (artifact.sha256 !== sha256 || artifact.size !== bytes.byteLength) {
        throw new CoordError(
          'artifact.upload_failed',
          `The server stored ${path} as ${artifact.size} bytes with sha256 ${artifact.sha256}, not the ${bytes.byteLength} bytes sent (sha256 ${sha256}).`,
          { retryable: true },
        );
      }
      return artifact;
    },
    submitJob: async (workspaceId, submission) =>
      (await call('POST', routes.submitJob(workspaceId), { body: submission, schema: jobResponseSchema }))
        .job,
    getJob: async (jobId) => (await call('GET', routes.job(jobId), { schema: jobResponseSchema })).job,
    listJobs: async (filter = {}) =>
      (await call('GET', routes.jobs(), { schema: jobListSchema, query: { ...filter } })).jobs,
    hints: (runnerId, signal, onOpen) => streamHints(runnerId, signal, onOpen),
    cancelJob: async (jobId) =>
      (await call('POST', routes.cancelJob(jobId), { body: {}, schema: jobResponseSchema })).job,
    requestChanges: async (jobId, feedback) =>
      (
        await call('POST', routes.requestChanges(jobId), {
          body: { feedback } satisfies RequestChanges,
          schema: jobResponseSchema,
        })
      ).job,
    readyJobs: async (jobIds) =>
      (await call('POST', routes.readyJobs(), { body: { jobIds: [...jobIds] }, schema: jobListSchema })).jobs,
  };
}

/** The JSON in `text`, or undefined when there is none (the caller validates what it gets). */
function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
