export {
  createRepositoryWorkspaces,
  defaultAuthor,
  type RepositoryBackgroundWork,
  type RepositoryWorkspacesOptions,
} from './repository-workspaces.js';
export {
  defaultRetention,
  pruneRepositoryDisk,
  pruneRepositoryDiskPeriodically,
  repositoryDiskUsage,
  standbyDir,
  type RepositoryDiskCare,
  type MirrorUsage,
  type PruneResult,
  type RepositoryDirs,
  type RepositoryDiskUsage,
  type RetentionPolicy,
  type WorkTreeUsage,
} from './repository-disk.js';
export { assertBranchName, branchNameProblem, deriveBranchName, isValidBranchName } from './branch-name.js';
export { parseCloneUrl, type CloneRemote, type RemoteProtocol } from './remote-url.js';
export { scanDiffForSecrets, type SecretFinding } from './secret-scan.js';
export type { GitIdentity } from './git-env.js';
