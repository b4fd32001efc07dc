export { startLocalServer, type LocalServer, type LocalServerOptions } from './server.js';
export { defaultTimings, type ServerTimings } from './config.js';
export { Store } from './db/store.js';
export {
  createAccount,
  addMember,
  DEFAULT_ACCOUNT,
  DEFAULT_WORKSPACE,
  type Account,
  type Workspace,
} from './db/accounts.js';
export { insertRawJob } from './db/jobs.js';
export { resumeLeasesAfterRestart, sweepExpiredLeases } from './db/attempts.js';
