/**
 * Plain lists behind some enums, without zod: a command line can offer them as choices without
 * loading the schemas (start-up time of `coord-runner --help`).
 */

/** What agents may do without asking; see `permissionModeSchema`. */
export const PERMISSION_MODES = ['ask', 'auto_edit', 'auto_project'] as const;
