import { resolveServer } from './config.js';
import { loadToken, resolveStateDir } from './state-dir.js';

export interface ConnectionFlags {
  server?: string;
  tokenFile?: string;
  stateDir?: string;
}

/** Where to connect and with which token, from flags, environment and what `login` saved. */
export function resolveConnection(flags: ConnectionFlags): {
  server: string;
  token: string;
  stateDir: string;
} {
  const stateDir = resolveStateDir(flags.stateDir);
  return {
    stateDir,
    server: resolveServer(flags.server, stateDir),
    token: loadToken({ tokenFile: flags.tokenFile, stateDir }),
  };
}
