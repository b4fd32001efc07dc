export * from './control-api.js';
export { trackAttempts, type AttemptTracker, type TrackedAttempt } from './attempt-tracker.js';
export { ControlError } from './control-error.js';
export {
  createControlService,
  type ControlHandlers,
  type ControlService,
  type ControlServiceOptions,
} from './control-service.js';
export {
  createFileHistoryStore,
  createMemoryHistoryStore,
  DEFAULT_HISTORY_RETENTION,
  type HistoryRetention,
  type HistoryStore,
} from './history-store.js';
export { spoolsReader, type SpoolReader } from './spool-reader.js';
