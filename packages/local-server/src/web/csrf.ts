import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The token a state-changing form carries: derived from a secret only the browser holds, in an
 * HttpOnly SameSite=Strict cookie (the session id, or the sign-in form's nonce). A page on another
 * site can neither read that cookie nor compute the token.
 */
export function csrfToken(secret: string): string {
  return createHmac('sha256', secret).update('coord-csrf-v1').digest('base64url');
}

/** Compared in constant time. */
export function csrfValid(secret: string | undefined, submitted: string | undefined): boolean {
  if (!secret || !submitted) return false;
  const expected = Buffer.from(csrfToken(secret));
  const actual = Buffer.from(submitted);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
