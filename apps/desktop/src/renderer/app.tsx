import { ThemeToggle, useTheme } from '@coord/runner-ui';
import { useEffect, useState } from 'react';
import { useAppState, usePushes, useRunnerStatus } from './desktop.js';
import { HistoryTab } from './history-tab.js';
import { LogsTab } from './logs-tab.js';
import { SettingsTab } from './settings-tab.js';
import { StatusTab } from './status-tab.js';
import { WaitingBanner } from './waiting.js';

export type Tab = 'status' | 'logs' | 'history' | 'settings';
const TABS: { tab: Tab; label: string }[] = [
  { tab: 'status', label: 'Status' },
  { tab: 'logs', label: 'Logs' },
  { tab: 'history', label: 'History' },
  { tab: 'settings', label: 'Settings' },
];

/** Where the Logs tab looks: a job (its newest attempt on this runner) or one attempt. */
export interface LogTarget {
  job: string;
  title: string;
}

export function App() {
  const app = useAppState();
  const running = app?.runner.status === 'running';
  const { status, error } = useRunnerStatus(running);
  const [tab, setTab] = useState<Tab>('status');
  const [logTarget, setLogTarget] = useState<LogTarget | null>(null);
  const [theme, setTheme] = useTheme();

  const openLog = (target: LogTarget) => {
    setLogTarget(target);
    setTab('logs');
  };

  usePushes((push) => {
    if (push.kind === 'navigate') openLog({ job: push.jobId, title: push.jobId });
  });

  // Ctrl/Cmd+1..4 switch tabs, as in most desktop apps.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.metaKey || e.ctrlKey) || e.altKey) return;
      const index = Number(e.key) - 1;
      const next = TABS[index];
      if (next) {
        e.preventDefault();
        setTab(next.tab);
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  const waiting = status?.waiting ?? [];
  useEffect(() => {
    document.title = waiting.length ? `(${waiting.length}) Coord Runner` : 'Coord Runner';
  }, [waiting.length]);

  if (!app) return <div className="boot">Starting Coord Runner…</div>;

  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Tabs">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          Coord Runner
        </div>
        <div role="tablist" aria-orientation="vertical" className="tabs">
          {TABS.map(({ tab: t, label }, i) => (
            <button
              key={t}
              role="tab"
              aria-selected={tab === t}
              className={`nav-item${tab === t ? ' active' : ''}`}
              onClick={() => setTab(t)}
            >
              <span>{label}</span>
              {t === 'status' && waiting.length > 0 ? (
                <span className="nav-badge" aria-label={`${waiting.length} waiting`}>
                  {waiting.length}
                </span>
              ) : (
                <kbd className="nav-key" aria-hidden="true">
                  {i + 1}
                </kbd>
              )}
            </button>
          ))}
        </div>
        <div className="sidebar-foot">
          <RunnerPill app={app} connection={status?.connections[0]?.status ?? null} />
          <ThemeToggle theme={theme} onChange={setTheme} />
        </div>
      </nav>
      <main className="content">
        <WaitingBanner waiting={waiting} onOpen={() => setTab('status')} hidden={tab === 'status'} />
        {tab === 'status' ? <StatusTab app={app} status={status} error={error} onOpenLog={openLog} /> : null}
        {tab === 'logs' ? <LogsTab status={status} target={logTarget} onTarget={setLogTarget} /> : null}
        {tab === 'history' ? <HistoryTab running={running} onOpenLog={openLog} /> : null}
        {tab === 'settings' ? <SettingsTab app={app} /> : null}
      </main>
    </div>
  );
}

function RunnerPill({
  app,
  connection,
}: {
  app: NonNullable<ReturnType<typeof useAppState>>;
  connection: string | null;
}) {
  const { runner, account } = app;
  const [tone, text] = !account.signedIn
    ? ['off', 'Signed out']
    : runner.status === 'running'
      ? connection === 'signed_out'
        ? ['bad', 'Signed out']
        : connection === 'offline'
          ? ['warn', 'Offline']
          : ['ok', connection === 'busy' ? 'Running' : 'Online']
      : runner.status === 'crashed'
        ? ['bad', 'Stopped']
        : ['off', { stopped: 'Stopped', starting: 'Starting', restarting: 'Restarting' }[runner.status]];
  return (
    <div className={`pill pill-${tone}`} title={runner.message ?? account.server ?? ''}>
      <span className="pill-dot" aria-hidden="true" />
      {text}
    </div>
  );
}
