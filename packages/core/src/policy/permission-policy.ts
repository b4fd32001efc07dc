import { isAbsolute, relative, resolve } from 'node:path';
import { permissionModeSchema, type PermissionMode } from '@coord/runner-protocol';
import { z } from 'zod';
import type { ToolKind } from '../agents/agent-event.js';
import { findDanger, type DangerKind } from './dangerous.js';
import { toolTargets } from './tool-targets.js';

/**
 * The modes (the protocol's, since a job may name one too): `ask` (every tool call the agent asks
 * about comes to a person), `auto_edit` (edits and reads inside the project are approved),
 * `auto_project` (everything inside the project is approved). Commands and files outside the
 * project, and dangerous calls, ask in every mode.
 */
export { permissionModeSchema, type PermissionMode };

/** The stricter of two modes: a job can tighten the runner's setting, never loosen it. */
export function stricterMode(a: PermissionMode, b: PermissionMode | undefined): PermissionMode {
  const order: PermissionMode[] = ['ask', 'auto_edit', 'auto_project'];
  return b === undefined ? a : order[Math.min(order.indexOf(a), order.indexOf(b))]!;
}

/**
 * A rule by tool, command and path; every field given must match. Patterns use `*` for any run
 * of characters. `path` is relative to the work dir unless absolute. Deny rules win over allow
 * rules; no rule approves a dangerous call.
 */
export const permissionRuleSchema = z
  .object({
    decision: z.enum(['allow', 'ask', 'deny']),
    tool: z.string().min(1).max(200).optional(),
    command: z.string().min(1).max(2000).optional(),
    path: z.string().min(1).max(4096).optional(),
  })
  .refine((r) => r.tool !== undefined || r.command !== undefined || r.path !== undefined, {
    message: 'a rule names a tool, a command or a path',
  });
export type PermissionRule = z.infer<typeof permissionRuleSchema>;

export const permissionSettingsSchema = z.object({
  mode: permissionModeSchema.default('ask'),
  rules: z.array(permissionRuleSchema).max(500).default([]),
});
export type PermissionSettings = z.input<typeof permissionSettingsSchema>;

export interface ToolRequest {
  toolName: string;
  kind: ToolKind;
  input: unknown;
  workDir: string;
  home: string | null;
  protectedPaths: readonly string[];
}

/** What the policy decided and why: every decision becomes an event saying so. */
export interface PolicyVerdict {
  decision: 'allow' | 'ask' | 'deny';
  reason: string;
  danger?: DangerKind;
}

function wildcard(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

const inside = (root: string, path: string) => {
  const rel = relative(resolve(root), resolve(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** Absolute paths a command names (its arguments), minus the programs and devices every command uses. */
function pathsNamedIn(command: string): string[] {
  return (command.match(/(?<=^|[\s='"])(\/[^\s'";|&]+|~\/[^\s'";|&]*)/g) ?? []).filter(
    (p) => !/^\/(usr\/|bin\/|sbin\/|dev\/(null|std))/.test(p),
  );
}

/**
 * Decides one tool call the agent asked about. In order: the runner's own credentials are
 * refused; deny rules refuse; dangerous calls and anything outside the project ask; then allow
 * and ask rules; then the mode.
 */
export function decidePermission(settings: PermissionSettings, request: ToolRequest): PolicyVerdict {
  const { mode, rules } = permissionSettingsSchema.parse(settings);
  const targets = toolTargets(request.kind, request.input, request.workDir);
  const danger = findDanger(targets, request);
  if (danger?.kind === 'runner_credentials') {
    return {
      decision: 'deny',
      reason: `Refused: ${danger.reason}; agents never get them.`,
      danger: danger.kind,
    };
  }
  const matches = (rule: PermissionRule) =>
    (rule.tool === undefined || wildcard(rule.tool).test(request.toolName)) &&
    (rule.command === undefined || targets.commands.some((c) => wildcard(rule.command!).test(c.trim()))) &&
    (rule.path === undefined ||
      targets.paths.some((p) =>
        wildcard(isAbsolute(rule.path!) ? rule.path! : resolve(request.workDir, rule.path!)).test(p),
      ));
  const ruleText = (rule: PermissionRule) =>
    [
      rule.tool && `tool ${rule.tool}`,
      rule.command && `command "${rule.command}"`,
      rule.path && `path ${rule.path}`,
    ]
      .filter(Boolean)
      .join(', ');

  const deny = rules.find((r) => r.decision === 'deny' && matches(r));
  if (deny) return { decision: 'deny', reason: `Refused by the rule for ${ruleText(deny)}.` };
  if (danger) {
    return {
      decision: 'ask',
      reason: `Dangerous: ${danger.reason}; never approved automatically.`,
      danger: danger.kind,
    };
  }
  const outside = [
    ...targets.paths,
    ...targets.commands
      .flatMap(pathsNamedIn)
      .map((p) => (p.startsWith('~/') && request.home ? resolve(request.home, p.slice(2)) : p)),
  ].find((p) => !inside(request.workDir, p));
  if (outside) return { decision: 'ask', reason: `Outside the project: ${outside}.` };

  const allow = rules.find((r) => r.decision === 'allow' && matches(r));
  if (allow) return { decision: 'allow', reason: `Allowed by the rule for ${ruleText(allow)}.` };
  const ask = rules.find((r) => r.decision === 'ask' && matches(r));
  if (ask) return { decision: 'ask', reason: `The rule for ${ruleText(ask)} asks.` };

  const isEdit = request.kind === 'edit' || request.kind === 'read' || request.kind === 'search';
  if (mode === 'auto_project')
    return { decision: 'allow', reason: 'Inside the project (permission mode: auto_project).' };
  if (mode === 'auto_edit' && isEdit) {
    return {
      decision: 'allow',
      reason: `A ${request.kind} inside the project (permission mode: auto_edit).`,
    };
  }
  return {
    decision: 'ask',
    reason:
      mode === 'ask'
        ? 'Every tool call asks (permission mode: ask).'
        : `A ${request.kind} call asks (permission mode: auto_edit).`,
  };
}
