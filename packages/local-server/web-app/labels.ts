import type { PermissionMode } from '@coord/runner-protocol';

/** The protocol's permission modes, as a person reads them (a job can only tighten the runner's). */
export const PERMISSION_LABELS: Record<PermissionMode, string> = {
  ask: 'Ask before every tool',
  auto_edit: 'Edit files in the project without asking',
  auto_project: 'Anything inside the project without asking',
};
