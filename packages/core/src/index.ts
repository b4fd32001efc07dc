export {
  CoordError,
  isCoordError,
  toErrorPayload,
  redactSecrets,
  registerSecret,
  type ErrorCode,
  type ErrorPayload,
} from './errors.js';
export {
  backoffDelayMs,
  defaultRetryPolicy,
  retryTransient,
  type Backoff,
  type RetryOptions,
  type RetryPolicy,
} from './retry.js';
export { containsRegisteredSecret, redactJson, environmentSecrets } from './redact.js';
export { createSecretSafeChunker, type SecretSafeChunker } from './agents/secret-safe-chunks.js';
export { isProtectedPath } from './agents/protected-paths.js';
export {
  decidePermission,
  permissionModeSchema,
  permissionRuleSchema,
  permissionSettingsSchema,
  type PermissionMode,
  type PermissionRule,
  type PermissionSettings,
  type PolicyVerdict,
  type ToolRequest,
} from './policy/permission-policy.js';
export { findDanger, type Danger, type DangerKind } from './policy/dangerous.js';
export {
  agentEventSchema,
  isAgentEvent,
  isAgentOutputEvent,
  type AgentEvent,
  type AgentEventType,
  type ToolKind,
} from './agents/agent-event.js';
export type {
  AttemptState,
  JobEvent,
  ResolvedBy,
  RunnerEvent,
  RunnerEventOf,
  RunnerEventType,
  RunnerStatus,
} from './events/runner-event.js';
export { isJobEvent } from './events/runner-event.js';
export { forJob, ofType, untilFinished } from './events/operators.js';
export {
  ATTEMPT_RUN_ENV,
  systemClock,
  type AgentDetection,
  type AgentPort,
  type AgentResult,
  type AgentRun,
  type AgentRunInput,
  type Clock,
  type LocalOutputFile,
  type LocalWorkspacePort,
  type PreparedWorkspace,
  type PrepareInput,
  type PublishInput,
  type PublishResult,
  type RepositoryWorkspacePort,
} from './runner/ports.js';
export {
  createCoordClient,
  type AnswerOutcome,
  type CoordClient,
  type CoordClientOptions,
  type EventLines,
} from './client/coord-client.js';
export { ApiError, isApiError } from './client/api-error.js';
export { signInWithDevice, type DeviceSignInOptions } from './client/device-sign-in.js';
export {
  createFileEventSpool,
  createMemoryEventSpool,
  type EventSpool,
  type SpooledLines,
} from './store/event-spool.js';
export { createLocalWorkspaces, type LocalWorkspacesOptions } from './workspace/local-workspaces.js';
export {
  createRunner,
  type ActiveAttemptView,
  type Runner,
  type RunnerIdentity,
  type RunnerOptions,
} from './runner/runner.js';
export type { Credentials } from './runner/sign-in.js';
export {
  createRunnerGroup,
  type ConnectionOptions,
  type RunnerGroup,
  type RunnerGroupOptions,
} from './runner/runner-group.js';
export {
  createSlotPool,
  type AttemptSlot,
  type ClaimTicket,
  type SlotPool,
  type SlotPoolOptions,
} from './runner/slot-pool.js';
export * from './control/index.js';
