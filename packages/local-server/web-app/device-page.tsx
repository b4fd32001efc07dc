import { ErrorState } from '@coord/runner-ui';
import { useEffect, useState, type FormEvent } from 'react';
import { api, type DeviceRequest } from './api.js';
import { Link } from './app.js';

type Step =
  | { step: 'enter'; problem?: string }
  | { step: 'loading' }
  | { step: 'confirm'; device: DeviceRequest; problem?: string }
  | { step: 'done'; approved: boolean };

/**
 * A runner's device sign-in (`coord-runner login` shows a code and this page's URL): the code,
 * typed or from the link, then who asks, and Approve or Deny as the signed-in person.
 */
export function DevicePage() {
  const [code, setCode] = useState(() => new URLSearchParams(location.search).get('code') ?? '');
  const [state, setState] = useState<Step>(() => (code ? { step: 'loading' } : { step: 'enter' }));
  const [busy, setBusy] = useState(false);

  const look = async (typed: string) => {
    setState({ step: 'loading' });
    try {
      const { device } = await api.device(typed);
      setState({ step: 'confirm', device });
    } catch (e) {
      setState({ step: 'enter', problem: e instanceof Error ? e.message : String(e) });
    }
  };
  useEffect(() => {
    if (code) void look(code);
  }, []);

  const decide = async (device: DeviceRequest, decision: 'approve' | 'deny') => {
    setBusy(true);
    try {
      const { approved } = await api.decideDevice(device.userCode, decision);
      setState({ step: 'done', approved });
    } catch (e) {
      setState({ step: 'confirm', device, problem: e instanceof Error ? e.message : String(e) });
    }
    setBusy(false);
  };

  const onEnter = (e: FormEvent) => {
    e.preventDefault();
    history.replaceState(null, '', `/device?${new URLSearchParams({ code })}`);
    void look(code);
  };

  let body;
  if (state.step === 'loading') body = <p className="cr-muted">Looking up the code…</p>;
  else if (state.step === 'enter')
    body = (
      <form onSubmit={onEnter} aria-label="Runner code" className="device-form">
        <p className="page-sub">
          Enter the code your runner shows (for example <code className="cr-mono">BCDF-GHJK</code>).
        </p>
        {state.problem ? (
          <ErrorState
            title="No runner is waiting with that code"
            detail={state.problem}
            action="Check the code in your terminal, or run coord-runner login again for a new one."
          />
        ) : null}
        <div className="device-enter">
          <input
            className="cr-input cr-mono device-code-input"
            aria-label="Code"
            autoComplete="off"
            autoFocus
            required
            maxLength={20}
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
          <button type="submit" className="cr-button cr-button-primary">
            Continue
          </button>
        </div>
      </form>
    );
  else if (state.step === 'confirm')
    body = (
      <section aria-label="Runner sign-in request">
        <p>
          <strong>{state.device.clientName}</strong> asks to run jobs as you, with the code
        </p>
        <div className="device-code cr-mono" aria-label="Code">
          {state.device.userCode}
        </div>
        <p className="cr-muted">
          Approve only if you started this sign-in and the code matches what your terminal shows. The runner
          gets a token of its own; signing it out later revokes only that token.
        </p>
        {state.problem ? <ErrorState title="That did not work" detail={state.problem} /> : null}
        <div className="cr-actions">
          <button
            type="button"
            className="cr-button cr-button-primary"
            disabled={busy}
            onClick={() => void decide(state.device, 'approve')}
          >
            Approve
          </button>
          <button
            type="button"
            className="cr-button"
            disabled={busy}
            onClick={() => void decide(state.device, 'deny')}
          >
            Deny
          </button>
        </div>
      </section>
    );
  else
    body = (
      <div role="status" className="device-done">
        <h2>{state.approved ? 'Runner signed in' : 'Sign-in denied'}</h2>
        <p className="cr-muted">
          {state.approved
            ? 'You can go back to your terminal: the runner has its token.'
            : 'The runner was told no. Nothing was given to it.'}
        </p>
        {state.approved ? (
          <div className="cr-actions">
            <Link to={{ page: 'runners' }} className="cr-button">
              See your runners
            </Link>
          </div>
        ) : null}
      </div>
    );

  return (
    <div className="page page-narrow">
      <header className="page-head">
        <div>
          <h1>Sign in a runner</h1>
        </div>
      </header>
      <div className="cr-card device-card">{body}</div>
    </div>
  );
}
