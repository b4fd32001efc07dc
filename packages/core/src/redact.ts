/**
 * The one redactor: every secret the runner knows (registered exact values) and every known token
 * format, hidden in error messages and in every event payload before it is spooled, shown or sent.
 */

const registeredSecrets = new Set<string>();
let longestRegistered = 0;

/**
 * Registers a secret (a token, an API key) so that everything redacted hides it. Called wherever a
 * secret enters the process: the client's token, minted forge tokens, the agents' API keys.
 */
export function registerSecret(secret: string | null | undefined): void {
  if (!secret || secret.length < MIN_SECRET_LENGTH) return;
  registeredSecrets.add(secret);
  longestRegistered = Math.max(longestRegistered, secret.length);
}

/**
 * Whether `content` holds a registered secret: the exact-value check of the pre-push scan and of
 * a local job's output files. Bytes are searched as they are (a secret is ASCII in any encoding).
 */
export function containsRegisteredSecret(content: string | Uint8Array): boolean {
  const haystack =
    typeof content === 'string'
      ? content
      : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  for (const secret of registeredSecrets) if (haystack.includes(secret)) return true;
  return false;
}

/** The longest registered secret: a stream holds back at least this much so none is split. */
export function longestRegisteredSecret(): number {
  return longestRegistered;
}

/** Each keeps its first group (a header name, a token's kind prefix) and hides the rest. */
const secretPatterns: RegExp[] = [
  /(authorization:\s*(?:bearer|token|basic)\s+)[^\s"']+/gi,
  /(bearer\s+)[A-Za-z0-9._~+/=-]{6,}/gi,
  // Keeps the `@` so the URL still reads as one: `https://***@host/path`.
  /(https?:\/\/)[^/\s:@]+(?::[^/\s@]*)?(?=@)/gi,
  // GitHub (ghp_, gho_, ghs_, ghu_, ghr_, github_pat_), Anthropic, OpenAI.
  /\b(gh[opsur]_|github_pat_|sk-ant-|sk-)[A-Za-z0-9_-]{8,}/g,
  // Google API keys, Slack tokens, AWS access key ids.
  /\b(AIza)[A-Za-z0-9_-]{30,}/g,
  /\b(xox[abposr]-)[A-Za-z0-9-]{10,}/g,
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g,
  // The local Coord server's tokens: `coord_` / `coordfa_` and 32 random bytes in base64url.
  /(?<![A-Za-z0-9_-])(coord(?:fa)?_)[A-Za-z0-9_-]{40,}/g,
];

/**
 * What the patterns above start with: a quick test rules them all out, which is the common case
 * for agent output (redaction runs on every chunk; see `pnpm bench redact`). Two regexes, not one
 * caseless one over everything: that is about twice as slow on long output.
 */
const tokenStarts = /gh[opsur]_|github_pat_|sk-|AIza|xox[abposr]-|AKIA|ASIA|coord/;
const caselessStarts = /authorization|bearer|https?:\/\//i;
const mayMatchPattern = (text: string) => tokenStarts.test(text) || caselessStarts.test(text);

/** Shorter than any secret the redactor knows (registered ones have at least 6 characters). */
const MIN_SECRET_LENGTH = 6;

/** Hides registered secrets and anything shaped like a credential. */
export function redactSecrets(text: string): string {
  if (text.length < MIN_SECRET_LENGTH) return text;
  let out = text;
  for (const secret of registeredSecrets) if (out.includes(secret)) out = out.split(secret).join('***');
  if (!mayMatchPattern(out)) return out;
  for (const pattern of secretPatterns) out = out.replace(pattern, (_m, prefix: string) => `${prefix}***`);
  return out;
}

/** Redacts every string (keys too) in plain JSON data: an event payload, a request body. */
export function redactJson<T>(value: T): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redactJson(item)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [redactSecrets(k), redactJson(v)]),
    ) as T;
  }
  return value;
}

/** Where secrets are in `text`, as [start, end) ranges (a kept prefix included), in no order. */
export function secretSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const secret of registeredSecrets) {
    for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
      spans.push([at, at + secret.length]);
    }
  }
  if (!mayMatchPattern(text)) return spans;
  for (const pattern of secretPatterns) {
    for (const match of text.matchAll(pattern)) spans.push([match.index, match.index + match[0].length]);
  }
  return spans;
}
