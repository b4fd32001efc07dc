/**
 * The one redactor: every secret the runner knows (registered exact values) and every known token
 * format, hidden in error messages and in every event payload before it is spooled, shown or sent.
 */

const registeredSecrets = new Set<string>();
let longestRegistered = 0;
let shortestRegistered = Number.POSITIVE_INFINITY;
/** All registered forms as one regex (longest first), built on first use after a change. */
let registeredPattern: RegExp | null = null;

/**
 * Whether `text` may hold a registered form: on short text (most events' strings) one `includes`
 * per form rules it out far quicker than the alternation below, which then finds where.
 */
function mayHoldRegistered(text: string): boolean {
  if (text.length < shortestRegistered) return false;
  // Over long text one pass of the alternation beats a search per form.
  if (text.length > 2048) return true;
  for (const form of registeredSecrets) if (text.includes(form)) return true;
  return false;
}

function registered(): RegExp | null {
  if (registeredSecrets.size === 0) return null;
  registeredPattern ??= new RegExp(
    [...registeredSecrets]
      .sort((a, b) => b.length - a.length)
      .map((secret) => secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('|'),
    'g',
  );
  return registeredPattern;
}

/**
 * Registers a secret (a token, an API key) so that everything redacted hides it, in the forms it
 * travels in too: URL-encoded, and base64 at each of the three byte alignments it can have inside
 * a longer base64 text (a Basic auth header, a config blob). Called wherever a secret enters the
 * process: the client's token, minted forge tokens, the agents' API keys, the environment.
 */
export function registerSecret(secret: string | null | undefined): void {
  if (!secret || secret.length < MIN_SECRET_LENGTH) return;
  for (const form of [secret, encodeURIComponent(secret), ...base64Forms(secret)]) {
    if (form.length < MIN_SECRET_LENGTH) continue;
    if (registeredSecrets.has(form)) continue;
    registeredSecrets.add(form);
    registeredPattern = null;
    shortResults.clear();
    longestRegistered = Math.max(longestRegistered, form.length);
    shortestRegistered = Math.min(shortestRegistered, form.length);
  }
}

/**
 * The base64 characters that depend on `secret` alone, for each offset (0, 1, 2 bytes) it may sit
 * at in the encoded data: a character covers 6 bits, so only those wholly inside the secret's bits.
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes, Buffer.alloc(2)]).toString('base64');
    const first = Math.ceil((8 * offset) / 6);
    const last = Math.floor((8 * (offset + bytes.length)) / 6); // exclusive
    forms.push(encoded.slice(first, last));
  }
  return forms;
}

/**
 * Environment variables whose values are secrets by their name: `GITHUB_TOKEN`, `ANTHROPIC_API_KEY`,
 * `AWS_SECRET_ACCESS_KEY`, `DB_PASSWORD`, `GOOGLE_APPLICATION_CREDENTIALS`.
 */
const secretNamePattern = /(?:^|_)(?:TOKEN|KEY|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?|PAT)$/i;

/** The values of the variables named like secrets that are set (for `RunnerOptions.secrets`). */
export function environmentSecrets(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(env).flatMap(([name, value]) => {
    const trimmed = value?.trim();
    return trimmed && secretNamePattern.test(name) ? [trimmed] : [];
  });
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

/** A PEM private key, with its end line or, cut short, to the end of the text. */
const privateKeyPattern =
  /(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;

/** Each keeps its first group (a header name, a token's kind prefix) and hides the rest. */
const secretPatterns: RegExp[] = [
  /(authorization:\s*(?:bearer|token|basic)\s+)[^\s"']+/gi,
  /(bearer\s+)[A-Za-z0-9._~+/=-]{6,}/gi,
  // Keeps the `@` so the URL still reads as one: `https://***@host/path`.
  /(https?:\/\/)[^/\s:@]+(?::[^/\s@]*)?(?=@)/gi,
  // GitHub (ghp_, gho_, ghs_, ghu_, ghr_, github_pat_), Anthropic, OpenAI, GitLab, npm, Stripe.
  /\b(gh[opsur]_|github_pat_|sk-ant-|sk-|glpat-|npm_|[sr]k_live_)[A-Za-z0-9_-]{8,}/g,
  // Google API keys and OAuth access tokens, Slack tokens, AWS access key ids.
  /\b(AIza)[A-Za-z0-9_-]{30,}/g,
  /\b(ya29\.)[A-Za-z0-9_-]{20,}/g,
  /\b(xox[abposr]-|xapp-)[A-Za-z0-9-]{10,}/g,
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g,
  // JSON Web Tokens: header and payload are base64url JSON (`{"` encodes as `eyJ`).
  /\b(eyJ)[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  privateKeyPattern,
  // The local Coord server's tokens: `coord_` / `coordfa_` and 32 random bytes in base64url.
  /(?<![A-Za-z0-9_-])(coord(?:fa)?_)[A-Za-z0-9_-]{40,}/g,
];

/**
 * What the patterns above start with: a quick test rules them all out, which is the common case
 * for agent output (redaction runs on every chunk; see `pnpm bench redact`). Two regexes, not one
 * caseless one over everything: that is about twice as slow on long output.
 */
const tokenStarts = /gh[opsur]_|github_pat_|sk-|AIza|xox[abposr]-|AKIA|ASIA|coord/;
// Apart: one alternation of all of them is several times slower than the two (V8 picks a worse plan).
const moreTokenStarts = /eyJ|ya29\.|glpat-|npm_|k_live_|xapp-|-----BEGIN/;
const caselessStarts = /authorization|bearer|https?:\/\//i;
const mayMatchPattern = (text: string) =>
  tokenStarts.test(text) || moreTokenStarts.test(text) || caselessStarts.test(text);

/**
 * Where the PEM private keys in `text` are, as [start, end) ranges; one with no end line yet
 * reaches the end of the text (it goes on in later output).
 */
export function privateKeySpans(text: string): Array<[number, number]> {
  if (!text.includes('-----BEGIN ')) return [];
  const spans: Array<[number, number]> = [];
  for (const match of text.matchAll(privateKeyPattern))
    spans.push([match.index, match.index + match[0].length]);
  return spans;
}

/** Shorter than any secret the redactor knows (registered ones have at least 6 characters). */
const MIN_SECRET_LENGTH = 6;

/**
 * Short strings redacted before, with what they became: the keys, types and ids of events repeat
 * on every one. Emptied when a secret is registered (their answers may change) or when full.
 */
const shortResults = new Map<string, string>();
const SHORT_STRING = 64;
const MAX_SHORT_RESULTS = 4096;

/** Hides registered secrets and anything shaped like a credential. */
export function redactSecrets(text: string): string {
  if (text.length < MIN_SECRET_LENGTH) return text;
  if (text.length > SHORT_STRING) return redactText(text);
  let out = shortResults.get(text);
  if (out === undefined) {
    out = redactText(text);
    if (shortResults.size >= MAX_SHORT_RESULTS) shortResults.clear();
    shortResults.set(text, out);
  }
  return out;
}

function redactText(text: string): string {
  const known = mayHoldRegistered(text) ? registered() : null;
  let out = known ? text.replace(known, '***') : text;
  if (!mayMatchPattern(out)) return out;
  for (const pattern of secretPatterns) out = out.replace(pattern, (_m, prefix: string) => `${prefix}***`);
  return out;
}

/**
 * Redacts every string (keys too) in plain JSON data: an event payload, a request body. What
 * holds nothing to hide is returned as it is, not copied (it runs on every event).
 */
export function redactJson<T>(value: T): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const redacted = redactJson(item);
      if (redacted !== item) (out ??= value.slice())[i] = redacted;
    }
    return (out ?? value) as T;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    let out: Record<string, unknown> | null = null;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const item = record[key];
      const redactedKey = redactSecrets(key);
      const redacted = redactJson(item);
      if (out === null && (redactedKey !== key || redacted !== item)) {
        // The first change: from here on a copy, with the keys before it as they were.
        out = {};
        for (let j = 0; j < i; j++) setOwn(out, keys[j]!, record[keys[j]!]);
      }
      if (out !== null) setOwn(out, redactedKey, redacted);
    }
    return (out ?? value) as T;
  }
  return value;
}

/** Sets an own property, `__proto__` included (as JSON.parse makes it), never the prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Where secrets are in `text`, as [start, end) ranges (a kept prefix included), in no order. */
export function secretSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  const known = mayHoldRegistered(text) ? registered() : null;
  if (known)
    for (const match of text.matchAll(known)) spans.push([match.index, match.index + match[0].length]);
  if (!mayMatchPattern(text)) return spans;
  for (const pattern of secretPatterns) {
    for (const match of text.matchAll(pattern)) spans.push([match.index, match.index + match[0].length]);
  }
  return spans;
}
