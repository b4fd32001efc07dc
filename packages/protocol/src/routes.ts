/**
 * Paths of the v1 API, shared by the client and the server so the two cannot drift.
 * Ids are validated before they reach these builders; they are still URI-encoded.
 */
const e = encodeURIComponent;

export const routes = {
  register: () => '/v1/runners/register',
  claim: (runnerId: string) => `/v1/runners/${e(runnerId)}/claim`,
  hints: (runnerId: string) => `/v1/runners/${e(runnerId)}/hints`,
  presence: (runnerId: string) => `/v1/runners/${e(runnerId)}/presence`,
  lease: (attemptId: string) => `/v1/attempts/${e(attemptId)}/lease`,
  reattach: (attemptId: string) => `/v1/attempts/${e(attemptId)}/reattach`,
  events: (attemptId: string) => `/v1/attempts/${e(attemptId)}/events`,
  interaction: (attemptId: string, interactionId: string) =>
    `/v1/attempts/${e(attemptId)}/interactions/${e(interactionId)}`,
  answer: (interactionId: string) => `/v1/interactions/${e(interactionId)}/answer`,
  complete: (attemptId: string) => `/v1/attempts/${e(attemptId)}/complete`,
  artifact: (attemptId: string, path: string) =>
    `/v1/attempts/${e(attemptId)}/artifacts/${path.split('/').map(e).join('/')}`,
  artifacts: (attemptId: string) => `/v1/attempts/${e(attemptId)}/artifacts`,
  submitJob: (workspaceId: string) => `/v1/workspaces/${e(workspaceId)}/jobs`,
  jobs: () => '/v1/jobs',
  job: (jobId: string) => `/v1/jobs/${e(jobId)}`,
  readyJob: (jobId: string) => `/v1/jobs/${e(jobId)}/ready`,
  readyJobs: () => '/v1/jobs/ready',
  cancelJob: (jobId: string) => `/v1/jobs/${e(jobId)}/cancel`,
  stopJob: (jobId: string) => `/v1/jobs/${e(jobId)}/stop`,
  requestChanges: (jobId: string) => `/v1/jobs/${e(jobId)}/request-changes`,
  whoami: () => '/v1/me',
  signOut: () => '/v1/me/sign-out',
  webSignIn: () => '/v1/me/web-sign-in',
  deviceAuthorize: () => '/v1/device/authorize',
  deviceToken: () => '/v1/device/token',
} as const;
