import { ErrorState } from '@coord/runner-ui';
import { useEffect, useState, type FormEvent } from 'react';
import { api } from './api.js';

/** Where to go afterwards: a path on this server (the server checks again). */
function nextPath(): string {
  const next = new URLSearchParams(location.search).get('next');
  return next && /^\/(?![/\\])/.test(next) ? next : '/';
}

/**
 * The code of a one-time sign-in link (`/sign-in#code=…`), taken out of the address bar at once so
 * that neither history nor a copied URL keeps it.
 */
function takeLinkCode(): string | null {
  const code = new URLSearchParams(location.hash.slice(1)).get('code');
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  return code;
}

/** A sign-in link's code in the address bar's fragment. */
export const LINK_IN_ADDRESS = /^#(.*&)?code=/;

/**
 * Signing in with a one-time link (`coord-runner local` prints one, `coord-runner web` makes
 * another) or the server's API token; the server answers with a session cookie.
 */
export function SignInPage() {
  const [usedLink, setUsedLink] = useState(false);
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  // A link signs in by itself: no form to flash meanwhile.
  const [busy, setBusy] = useState(() => LINK_IN_ADDRESS.test(location.hash));
  const signIn = async (credential: { token: string } | { code: string }) => {
    setProblem(null);
    setBusy(true);
    try {
      const { next } = await api.signIn(credential, nextPath());
      location.assign(next);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
      setBusy(false);
    }
  };
  // The link this page opened with, and any opened on it later (the same page: only its
  // fragment changes, so the browser loads nothing).
  useEffect(() => {
    const take = () => {
      const code = takeLinkCode();
      if (!code) return;
      setUsedLink(true);
      void signIn({ code });
    };
    take();
    window.addEventListener('hashchange', take);
    return () => window.removeEventListener('hashchange', take);
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void signIn({ token });
  };
  return (
    <main className="sign-in">
      <form className="cr-card sign-in-card" onSubmit={submit} aria-label="Sign in">
        <div className="brand sign-in-brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          Coord <span className="brand-sub">local</span>
        </div>
        <h1>Sign in</h1>
        <p className="page-sub">
          Open the sign-in link <code className="cr-mono">coord-runner local</code> printed, or run{' '}
          <code className="cr-mono">coord-runner web</code> for a new one. Or paste this server’s API token:
          the <code className="cr-mono">token</code> file in its data dir.
        </p>
        <label className="cr-field">
          <span className="cr-field-label">Token</span>
          <input
            className="cr-input"
            type="password"
            name="token"
            autoComplete="current-password"
            required
            autoFocus
            value={token}
            onChange={(e) => setToken(e.target.value)}
          />
        </label>
        {problem ? (
          <ErrorState
            title="Not signed in"
            detail={problem}
            action={usedLink ? 'Or paste the token above.' : 'Check the token and try again.'}
          />
        ) : null}
        <button type="submit" className="cr-button cr-button-primary sign-in-submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
