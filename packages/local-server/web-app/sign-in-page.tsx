import { ErrorState } from '@coord/runner-ui';
import { useState, type FormEvent } from 'react';
import { api } from './api.js';

/** Where to go afterwards: a path on this server (the server checks again). */
function nextPath(): string {
  const next = new URLSearchParams(location.search).get('next');
  return next && /^\/(?![/\\])/.test(next) ? next : '/';
}

/** Signing in with the server's API token; the server answers with a session cookie. */
export function SignInPage() {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    setBusy(true);
    try {
      const { next } = await api.signIn(token, nextPath());
      location.assign(next);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <form className="cr-card sign-in-card" onSubmit={(e) => void submit(e)} aria-label="Sign in">
        <div className="brand sign-in-brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          Coord <span className="brand-sub">local</span>
        </div>
        <h1>Sign in</h1>
        <p className="page-sub">
          Paste this server’s API token. <code className="cr-mono">coord-runner local</code> prints it; it is
          also the <code className="cr-mono">token</code> file in the server’s data dir.
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
          <ErrorState title="Not signed in" detail={problem} action="Check the token and try again." />
        ) : null}
        <button type="submit" className="cr-button cr-button-primary sign-in-submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
