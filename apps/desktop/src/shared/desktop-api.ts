import {
  controlAnswerSchemas,
  controlCallSchema,
  controlErrorSchema,
  logPageSchema,
  pushedRunnerEventSchema,
  type ControlAnswer,
  type ControlCall,
} from '@coord/runner-core/control-api';
import { z } from 'zod';

/**
 * The one contract between the renderer and the main process (DESIGN.md section 11): what the
 * renderer may ask and what it is told. The preload exposes exactly this, the main process
 * validates every payload against these schemas and checks who sent it. The renderer sees no
 * node, no electron and no token: only these calls and pushes.
 */

/** The IPC channels; nothing else is listened to. */
export const IPC = { invoke: 'coord:invoke', push: 'coord:push' } as const;

/**
 * The control API calls the renderer may make, relayed as they are to the runner. `settings.get`
 * is left out (the list answers it), and so is nothing else a person does from the window.
 */
export const RELAYED_METHODS = [
  'status',
  'history',
  'log',
  'answer',
  'job.stop',
  'stop',
  'agents.list',
  'agents.set',
  'settings.list',
  'settings.set',
] as const;
export type RelayedMethod = (typeof RELAYED_METHODS)[number];

const serverUrlSchema = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'a Coord server URL is http(s)://host[:port] without credentials');

/** Calls only the desktop app answers (its window, its account, its runner process). */
export const appCallSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('app.state') }),
  z.object({ method: z.literal('runner.start') }),
  /** Stops the runner gracefully and starts it again: new agent keys reach its agents. */
  z.object({ method: z.literal('runner.restart') }),
  z.object({ method: z.literal('account.signIn'), server: serverUrlSchema }),
  z.object({ method: z.literal('account.cancelSignIn') }),
  z.object({ method: z.literal('account.signOut') }),
  z.object({ method: z.literal('preferences.set'), startAtLogin: z.boolean().optional() }),
  z.object({
    method: z.literal('log.follow'),
    /** Chosen by the window, so pages pushed before this call answers are already its own. */
    subscriptionId: z.string().regex(/^[A-Za-z0-9-]{8,100}$/),
    job: z.string().min(1).max(200),
    afterSeq: z.number().int().nonnegative().default(0),
  }),
  z.object({ method: z.literal('log.unfollow'), subscriptionId: z.string().min(1).max(100) }),
  /** A pull request or job link, opened in the person's browser (http(s) only). */
  z.object({ method: z.literal('open.external'), url: serverUrlSchema }),
]);
export type AppCall = z.input<typeof appCallSchema>;
export type AppMethod = AppCall['method'];

export const runnerProcessStatusSchema = z.enum([
  /** Not started (signed out, or stopped by the person). */
  'stopped',
  'starting',
  'running',
  /** It exited on its own; it is started again after a short wait. */
  'restarting',
  /** It kept exiting: the app stopped restarting it (the message says why). */
  'crashed',
]);
export type RunnerProcessStatus = z.infer<typeof runnerProcessStatusSchema>;

export const runnerProcessSchema = z.object({
  status: runnerProcessStatusSchema,
  message: z.string().nullable(),
  restarts: z.number().int().nonnegative(),
  pid: z.number().int().positive().nullable(),
  since: z.number().int().nonnegative(),
});
export type RunnerProcess = z.infer<typeof runnerProcessSchema>;

export const accountSchema = z.object({
  server: z.string().nullable(),
  signedIn: z.boolean(),
  /** A sign-in waiting for approval in the browser: the code to type and where. */
  pending: z.object({ userCode: z.string(), verificationUri: z.string(), expiresAt: z.number() }).nullable(),
  /** Why the last sign-in failed (denied, expired, no such server). */
  problem: z.string().nullable(),
  /** False where the OS keychain is not available: the token could not be kept safely. */
  keychain: z.boolean(),
});
export type Account = z.infer<typeof accountSchema>;

export const appStateSchema = z.object({
  runner: runnerProcessSchema,
  account: accountSchema,
  preferences: z.object({ startAtLogin: z.boolean() }),
  version: z.string(),
});
export type AppState = z.infer<typeof appStateSchema>;

export const appAnswerSchemas = {
  'app.state': appStateSchema,
  'runner.start': appStateSchema,
  'runner.restart': appStateSchema,
  'account.signIn': appStateSchema,
  'account.cancelSignIn': appStateSchema,
  'account.signOut': appStateSchema,
  'preferences.set': appStateSchema,
  'log.follow': z.object({ subscriptionId: z.string() }),
  'log.unfollow': z.object({}),
  'open.external': z.object({}),
} satisfies Record<AppMethod, z.ZodType>;

export type DesktopCall = Extract<ControlCall, { method: RelayedMethod }> | AppCall;
export type DesktopMethod = DesktopCall['method'];
export type DesktopAnswer<M extends DesktopMethod> = M extends RelayedMethod
  ? ControlAnswer<M>
  : M extends AppMethod
    ? z.infer<(typeof appAnswerSchemas)[M]>
    : never;

export function isRelayed(method: string): method is RelayedMethod {
  return (RELAYED_METHODS as readonly string[]).includes(method);
}

/**
 * Reads a call from the renderer: a relayed control call (its own schema) or an app call. The
 * result says what was wrong in words a developer can act on; nothing unparsed goes further.
 */
export function parseDesktopCall(
  raw: unknown,
):
  | { ok: true; call: z.output<typeof controlCallSchema> | z.output<typeof appCallSchema> }
  | { ok: false; message: string } {
  const method = typeof raw === 'object' && raw !== null ? (raw as { method?: unknown }).method : undefined;
  if (typeof method !== 'string') return { ok: false, message: 'The call has no method.' };
  if (isRelayed(method)) {
    const parsed = controlCallSchema.safeParse(raw);
    return parsed.success ? { ok: true, call: parsed.data } : { ok: false, message: parsed.error.message };
  }
  const parsed = appCallSchema.safeParse(raw);
  if (parsed.success) return { ok: true, call: parsed.data };
  return {
    ok: false,
    message: appCallSchema.options.some((o) => o.shape.method.value === method)
      ? parsed.error.message
      : `The desktop app has no method "${method}".`,
  };
}

/** Every answer crosses as an envelope: an error is data, so it keeps its code and hint. */
export const desktopReplySchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({
    ok: z.literal(false),
    error: controlErrorSchema.extend({
      code: z.union([
        controlErrorSchema.shape.code,
        z.enum(['desktop.bad_request', 'desktop.untrusted_sender', 'desktop.no_runner', 'desktop.failed']),
      ]),
    }),
  }),
]);
export type DesktopReply = z.infer<typeof desktopReplySchema>;
export type DesktopError = Extract<DesktopReply, { ok: false }>['error'];

/** The answer schema of a method, for the preload to check what main sent. */
export function answerSchemaOf(method: DesktopMethod): z.ZodType {
  return isRelayed(method) ? controlAnswerSchemas[method] : appAnswerSchemas[method as AppMethod];
}

/** What the main process tells the renderer without being asked. */
export const desktopPushSchema = z.discriminatedUnion('kind', [
  /** A runner event, as the control API pushed it. */
  z.object({ kind: z.literal('event'), event: pushedRunnerEventSchema }),
  /** A page of a followed log (stored, then live). */
  z.object({ kind: z.literal('log'), subscriptionId: z.string(), page: logPageSchema }),
  z.object({
    kind: z.literal('log.end'),
    subscriptionId: z.string(),
    reason: z.enum(['runner_stopped', 'attempt_finished']),
  }),
  /** The app's own state changed (runner process, account, preferences). */
  z.object({ kind: z.literal('app'), state: appStateSchema }),
  /** Open a job (a deep link, a notification clicked). */
  z.object({ kind: z.literal('navigate'), jobId: z.string() }),
]);
export type DesktopPush = z.infer<typeof desktopPushSchema>;

/** What the preload exposes as `window.coord`: a typed call and a push listener, nothing more. */
export interface DesktopApi {
  call<M extends DesktopMethod>(call: Extract<DesktopCall, { method: M }>): Promise<DesktopAnswer<M>>;
  onPush(listener: (push: DesktopPush) => void): () => void;
}

/** The error a failed call rejects with in the renderer: the runner's or the app's code, message and hint. */
export class DesktopCallError extends Error {
  constructor(readonly error: DesktopError) {
    super(error.message);
    this.name = 'DesktopCallError';
  }
}
