import { containsRegisteredSecret } from '@coord/runner-core';

export interface SecretFinding {
  /** The file as git names it in the diff. */
  file: string;
  /** Line number in the new version of the file. */
  line: number;
  /** What it looks like ("GitHub token"); never the secret itself. */
  kind: string;
}

interface SecretRule {
  kind: string;
  pattern: RegExp;
}

// Token shapes with a recognisable prefix, so that ordinary code rarely matches.
const rules: SecretRule[] = [
  { kind: 'GitHub token', pattern: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b/ },
  { kind: 'GitHub token', pattern: /\bgithub_pat_[A-Za-z0-9_]{40,}\b/ },
  { kind: 'Anthropic API key', pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/ },
  { kind: 'OpenAI API key', pattern: /\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}/ },
  { kind: 'AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { kind: 'AWS secret access key', pattern: /aws_?secret_?access_?key\W{0,8}[A-Za-z0-9/+]{40}\b/i },
  { kind: 'private key', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/ },
];

/** Documentation examples (AWS's own `...EXAMPLE` keys) are not secrets. */
const placeholder = /EXAMPLE/;

/**
 * Finds secrets in the lines a unified diff adds. `extraSecrets` are exact strings (the forge token)
 * that must never be committed whatever their shape; so are the runner's own secrets, registered
 * with core (its Coord token, the agents' API keys), which an agent running as the same user could
 * have read. Only positions and kinds are returned, so that a finding can be reported without
 * repeating the secret.
 */
export function scanDiffForSecrets(diff: string, extraSecrets: readonly string[] = []): SecretFinding[] {
  const findings: SecretFinding[] = [];
  let file = '';
  let line = 0;
  for (const text of diff.split('\n')) {
    if (text.startsWith('diff --git ')) {
      file = '';
      continue;
    }
    if (text.startsWith('+++ ')) {
      file = unquote(text.slice(4)).replace(/^b\//, '');
      continue;
    }
    if (text.startsWith('--- ')) continue;
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (hunk) {
      line = Number(hunk[1]);
      continue;
    }
    if (text.startsWith('+')) {
      const added = text.slice(1);
      const kind = classify(added, extraSecrets);
      if (kind && file) findings.push({ file, line, kind });
      line += 1;
    } else if (text.startsWith(' ')) {
      line += 1;
    }
  }
  return findings;
}

function classify(text: string, extraSecrets: readonly string[]): string | null {
  if (extraSecrets.some((secret) => secret.length >= 6 && text.includes(secret))) return 'forge token';
  if (containsRegisteredSecret(text)) return "one of the runner's own secrets";
  for (const rule of rules) {
    const match = rule.pattern.exec(text);
    if (match && !placeholder.test(match[0])) return rule.kind;
  }
  return null;
}

/** git quotes unusual file names C-style: `"b/dir/na\303\257ve.txt"`. */
function unquote(name: string): string {
  if (!name.startsWith('"') || !name.endsWith('"')) return name;
  const bytes: number[] = [];
  const body = name.slice(1, -1);
  const escapes: Record<string, number> = { n: 10, t: 9, '"': 34, '\\': 92, a: 7, b: 8, f: 12, r: 13, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const char = body[i] ?? '';
    if (char !== '\\') {
      bytes.push(...Buffer.from(char));
      continue;
    }
    const next = body[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(escapes[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
