import type { AgentRow, Setting } from '@coord/runner-core/control-api';
import { ErrorState } from '@coord/runner-ui';
import { useEffect, useState } from 'react';
import type { AppState } from '../shared/desktop-api.js';
import { coord } from './desktop.js';

export function SettingsTab({ app }: { app: AppState }) {
  const running = app.runner.status === 'running';
  return (
    <div className="page">
      <header className="page-head">
        <h1>Settings</h1>
      </header>
      <Account app={app} />
      <Agents running={running} />
      <RunnerSettings running={running} />
      <section className="panel" aria-label="App">
        <h2 className="panel-title">App</h2>
        <label className="toggle-row">
          <input
            type="checkbox"
            checked={app.preferences.startAtLogin}
            onChange={(e) => void coord().call({ method: 'preferences.set', startAtLogin: e.target.checked })}
          />
          <span>
            Start at login
            <span className="cr-muted"> · the runner keeps taking jobs after a restart of the computer</span>
          </span>
        </label>
        <div className="kv">
          <span className="kv-key">Version</span>
          <span className="kv-value cr-mono">{app.version}</span>
        </div>
      </section>
    </div>
  );
}

function Account({ app }: { app: AppState }) {
  const { account } = app;
  const [server, setServer] = useState(account.server ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const call = (run: () => Promise<unknown>) => {
    setProblem(null);
    run().catch((e: Error) => setProblem(e.message));
  };
  return (
    <section className="panel" aria-label="Account">
      <h2 className="panel-title">Account</h2>
      {!account.keychain ? (
        <div className="notice notice-warn" role="status">
          The system keychain is not available, so a sign-in cannot be kept. On Linux, install and unlock a
          Secret Service keyring (GNOME Keyring, KWallet).
        </div>
      ) : null}
      {account.signedIn ? (
        <div className="row">
          <span>
            Signed in to <span className="cr-mono">{account.server}</span>
          </span>
          <button
            className="cr-button"
            onClick={() => call(() => coord().call({ method: 'account.signOut' }))}
          >
            Sign out
          </button>
        </div>
      ) : account.pending ? (
        <div className="device-code" aria-live="polite">
          <div>Enter this code in your browser to let this computer run jobs:</div>
          <div className="device-code-value cr-mono" aria-label="Sign-in code">
            {account.pending.userCode}
          </div>
          <div className="row">
            <button
              className="cr-button cr-button-primary"
              onClick={() =>
                call(() => coord().call({ method: 'open.external', url: account.pending!.verificationUri }))
              }
            >
              Open the browser
            </button>
            <span className="cr-muted cr-mono">{account.pending.verificationUri}</span>
            <button
              className="cr-button cr-button-quiet"
              onClick={() => call(() => coord().call({ method: 'account.cancelSignIn' }))}
            >
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            call(() => coord().call({ method: 'account.signIn', server: server.trim() }));
          }}
        >
          <input
            className="cr-input grow"
            aria-label="Coord server"
            placeholder="https://coord.example.com"
            value={server}
            onChange={(e) => setServer(e.target.value)}
          />
          <button className="cr-button cr-button-primary" type="submit" disabled={!server.trim()}>
            Sign in
          </button>
        </form>
      )}
      {account.problem || problem ? <div className="cr-error-text">{problem ?? account.problem}</div> : null}
    </section>
  );
}

const AGENT_STATE: Record<AgentRow['state'], string> = {
  detected: 'Detected',
  not_found: 'Not found',
  unsupported: 'Unsupported version',
};

function Agents({ running }: { running: boolean }) {
  const [agents, setAgents] = useState<AgentRow[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [scanning, setScanning] = useState(false);
  const load = (rescan: boolean) => {
    setScanning(rescan);
    coord()
      .call({ method: 'agents.list', rescan })
      .then((r) => {
        setAgents(r.agents);
        setProblem(null);
      })
      .catch((e: Error) => setProblem(e.message))
      .finally(() => setScanning(false));
  };
  useEffect(() => {
    if (running) load(false);
  }, [running]);
  return (
    <section className="panel" aria-label="Agents">
      <div className="panel-title-row">
        <h2 className="panel-title">Agents</h2>
        <button className="cr-button" disabled={!running || scanning} onClick={() => load(true)}>
          {scanning ? 'Rescanning…' : 'Rescan capabilities and tools'}
        </button>
      </div>
      {!running ? <div className="cr-muted">Start the runner to see and change its agents.</div> : null}
      {problem ? <ErrorState title="The agents cannot be read" detail={problem} /> : null}
      {agents?.map((a) => (
        <div key={a.id} className="agent-row" data-agent={a.id}>
          <label className="toggle-row">
            <input
              type="checkbox"
              checked={a.enabled}
              disabled={a.state !== 'detected'}
              aria-label={`Use ${a.displayName}`}
              onChange={(e) =>
                void coord()
                  .call({ method: 'agents.set', id: a.id, enabled: e.target.checked })
                  .then(
                    (r) => setAgents(r.agents),
                    (err: Error) => setProblem(err.message),
                  )
              }
            />
            <span className="agent-name">{a.displayName}</span>
          </label>
          <span className={`agent-state agent-${a.state}`}>{AGENT_STATE[a.state]}</span>
          <span className="cr-muted cr-mono agent-detail">
            {a.state === 'detected' ? `${a.version ?? ''} ${a.path ?? ''}` : (a.hint ?? '')}
          </span>
        </div>
      ))}
    </section>
  );
}

function RunnerSettings({ running }: { running: boolean }) {
  const [settings, setSettings] = useState<Setting[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    if (!running) return;
    coord()
      .call({ method: 'settings.list' })
      .then(
        (r) => setSettings(r.settings),
        (e: Error) => setProblem(e.message),
      );
  }, [running]);
  if (!running) return null;
  const onSaved = (next: Setting) =>
    setSettings((all) => all?.map((x) => (x.key === next.key ? next : x)) ?? null);
  return (
    <>
      <section className="panel" aria-label="Runner settings">
        <h2 className="panel-title">Runner</h2>
        <div className="cr-muted">
          Changes apply to the next job; some (concurrency, agents' paths) after a restart of the runner.
        </div>
        {problem ? <div className="cr-error-text">{problem}</div> : null}
        {settings
          ?.filter((s) => !s.secret)
          .map((s) => (
            <SettingRow key={s.key} setting={s} onSaved={onSaved} />
          ))}
      </section>
      {settings ? <AgentKeys keys={settings.filter((s) => s.secret)} onSaved={onSaved} /> : null}
    </>
  );
}

/** One setting saved through the runner's control API, which checks it (and keeps a secret owner-only). */
const saveSetting = (key: string, value: string) => coord().call({ method: 'settings.set', key, value });

function SettingRow({ setting, onSaved }: { setting: Setting; onSaved(next: Setting): void }) {
  const shown =
    setting.value === undefined || setting.value === null
      ? ''
      : typeof setting.value === 'string'
        ? setting.value
        : JSON.stringify(setting.value);
  const [value, setValue] = useState(shown);
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => setValue(shown), [shown]);
  return (
    <form
      className="setting-row"
      onSubmit={(e) => {
        e.preventDefault();
        setProblem(null);
        saveSetting(setting.key, value).then(
          (next) => {
            onSaved(next);
            setSaved(true);
            setTimeout(() => setSaved(false), 1500);
          },
          (err: Error) => setProblem(err.message),
        );
      }}
    >
      <label className="setting-label">
        <span className="cr-mono">{setting.key}</span>
        <span className="cr-muted">{setting.description}</span>
      </label>
      <input
        className="cr-input"
        aria-label={setting.key}
        value={value}
        onChange={(e) => setValue(e.target.value)}
      />
      <button className="cr-button" type="submit" disabled={value === shown}>
        {saved ? 'Saved' : 'Save'}
      </button>
      {problem ? <span className="cr-error-text setting-problem">{problem}</span> : null}
    </form>
  );
}

/**
 * The agents' provider keys (`anthropic.apiKey`, ...), for agents not signed in on their own.
 * Typed hidden, kept owner-only by the runner, shown only masked. The runner hands them to the
 * agents at its start: a changed key offers a restart.
 */
function AgentKeys({ keys, onSaved }: { keys: Setting[]; onSaved(next: Setting): void }) {
  const [problem, setProblem] = useState<string | null>(null);
  const [changed, setChanged] = useState(false);
  return (
    <section className="panel" aria-label="Agent keys">
      <h2 className="panel-title">Agent keys</h2>
      <div className="cr-muted">
        Only for agents that are not signed in on their own. Kept on this computer, readable by you alone, and
        never shown in full.
      </div>
      {problem ? <div className="cr-error-text">{problem}</div> : null}
      {keys.map((k) => (
        <SecretRow
          key={k.key}
          setting={k}
          onSaved={(next) => {
            onSaved(next);
            setChanged(true);
          }}
        />
      ))}
      {changed ? (
        <div className="notice" role="status">
          The agents get a new key when the runner starts again.{' '}
          <button
            className="cr-button"
            onClick={() => {
              setProblem(null);
              coord()
                .call({ method: 'runner.restart' })
                .then(
                  () => setChanged(false),
                  (e: Error) => setProblem(e.message),
                );
            }}
          >
            Restart the runner
          </button>
          <span className="cr-muted"> · running jobs are stopped gracefully and requeued</span>
        </div>
      ) : null}
    </section>
  );
}

function SecretRow({ setting, onSaved }: { setting: Setting; onSaved(next: Setting): void }) {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const current = typeof setting.value === 'string' ? `Set (${setting.value})` : 'Not set';
  return (
    <form
      className="setting-row"
      onSubmit={(e) => {
        e.preventDefault();
        setProblem(null);
        saveSetting(setting.key, value).then(
          (next) => {
            // The field forgets the key at once: only the masked value stays on the page.
            setValue('');
            onSaved(next);
          },
          (err: Error) => setProblem(err.message),
        );
      }}
    >
      <label className="setting-label">
        <span className="cr-mono">{setting.key}</span>
        <span className="cr-muted">
          {setting.description} · <span data-key-state>{current}</span>
        </span>
      </label>
      <input
        className="cr-input"
        type="password"
        autoComplete="off"
        spellCheck={false}
        aria-label={setting.key}
        placeholder={setting.value === null ? 'Paste the key' : 'Paste a new key'}
        value={value}
        onChange={(e) => setValue(e.target.value)}
      />
      <button className="cr-button" type="submit" disabled={value.trim() === ''}>
        Save
      </button>
      {problem ? <span className="cr-error-text setting-problem">{problem}</span> : null}
    </form>
  );
}
