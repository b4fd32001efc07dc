import type { JobSubmission, PermissionMode, Routing } from '@coord/runner-protocol';
import { ErrorState } from '@coord/runner-ui';
import { useEffect, useState, type FormEvent } from 'react';
import type { RunnerSummary } from '../src/db/runners.js';
import { api, type Repository, type Session } from './api.js';
import { PERMISSION_LABELS } from './labels.js';
import { hrefOf, navigate } from './router.js';

const AGENTS = [
  { id: 'claude-code', label: 'Claude Code' },
  { id: 'codex', label: 'Codex' },
  { id: 'gemini', label: 'Gemini CLI' },
  { id: 'demo', label: 'Demo agent (scripted, no AI)' },
];

/** A demo plan that shows every kind of step, approvals and a question included. */
const SAMPLE_PLAN = JSON.stringify(
  [
    { type: 'say', text: 'Looking at the repository.' },
    {
      type: 'ask',
      id: 'tone',
      question: 'Which tone should the notes have?',
      options: ['Short', 'Detailed'],
    },
    { type: 'write', path: 'NOTES.md', content: 'Notes ({{answer:tone}})\n', ask: true },
    { type: 'run', command: ['ls', '-la'], ask: true },
    { type: 'say', text: 'Done.' },
  ],
  null,
  2,
);

type RoutingMode = Routing['mode'];

/** The agents some online, non-draining runner has detected and enabled. */
function usableAgents(runners: readonly RunnerSummary[]): ReadonlySet<string> {
  return new Set(
    runners
      .filter((r) => r.online && !r.draining)
      .flatMap((r) => r.agents.filter((a) => a.state === 'detected' && a.enabled).map((a) => a.id)),
  );
}

export function NewJobPage({ session }: { session: Session }) {
  const [repos, setRepos] = useState<Repository[] | null>(null);
  const [title, setTitle] = useState('');
  const [instructions, setInstructions] = useState('');
  const [where, setWhere] = useState<'repository' | 'local'>('repository');
  const [repo, setRepo] = useState('');
  const [agent, setAgent] = useState('claude-code');
  // Agents some online runner of this account can run now (null until the runners are read).
  const [usable, setUsable] = useState<ReadonlySet<string> | null>(null);
  const [agentChosen, setAgentChosen] = useState(false);
  const [model, setModel] = useState('');
  const [plan, setPlan] = useState(SAMPLE_PLAN);
  const [routing, setRouting] = useState<RoutingMode>('mine');
  const [permissionMode, setPermissionMode] = useState<PermissionMode | ''>('');
  const [backlog, setBacklog] = useState(false);
  const [runnerName, setRunnerName] = useState('');
  const [workspace, setWorkspace] = useState(session.workspaces[0]?.id ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.repositories().then(
      ({ repositories }) => {
        setRepos(repositories);
        if (repositories.length === 0) setWhere('local');
        else setRepo(`${repositories[0]!.owner}/${repositories[0]!.name}`);
      },
      (e: Error) => setProblem(e.message),
    );
  }, []);

  useEffect(() => {
    api.runners().then(
      ({ runners }) => setUsable(usableAgents(runners)),
      // Only a hint: the form works without it.
      () => setUsable(null),
    );
  }, []);
  // The first agent one of your runners can run, unless you picked one already.
  useEffect(() => {
    if (agentChosen || !usable) return;
    const first = AGENTS.find((a) => usable.has(a.id));
    if (first) setAgent(first.id);
  }, [usable, agentChosen]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    const chosen = repos?.find((r) => `${r.owner}/${r.name}` === repo);
    let steps: unknown;
    if (agent === 'demo') {
      try {
        steps = JSON.parse(plan);
        // The server checks each step against the protocol's schema and names what is wrong.
        if (!Array.isArray(steps)) throw new Error('it must be a JSON list of steps');
      } catch (error) {
        return setProblem(
          `The demo plan is not valid: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    if (where === 'repository' && !chosen) return setProblem('Choose a repository, or run the job locally.');
    const spec: JobSubmission = {
      title,
      instructions,
      context:
        where === 'repository' && chosen
          ? {
              type: 'repository',
              repository: {
                cloneUrl: chosen.cloneUrl,
                owner: chosen.owner,
                name: chosen.name,
                baseBranch: chosen.defaultBranch,
              },
            }
          : { type: 'local' },
      agent: {
        id: agent,
        ...(model.trim() ? { model: model.trim() } : {}),
        ...(permissionMode ? { permissionMode } : {}),
        ...(agent === 'demo' ? { plan: steps as JobSubmission['agent']['plan'] } : {}),
      },
      routing: routing === 'runner' ? { mode: 'runner', runnerName: runnerName.trim() } : { mode: routing },
      status: backlog ? 'backlog' : 'ready',
    };
    setBusy(true);
    try {
      const { job } = await api.submit(workspace, spec);
      navigate(hrefOf({ page: 'job', jobId: job.id }));
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
      setBusy(false);
    }
  };

  return (
    <div className="page page-narrow">
      <header className="page-head">
        <div>
          <h1>New job</h1>
          <p className="page-sub">
            An agent works on it on one of your runners; you can watch, answer and approve here.
          </p>
        </div>
      </header>
      <form className="cr-card form" onSubmit={(e) => void submit(e)} aria-label="New job">
        <label className="cr-field">
          <span className="cr-field-label">Title</span>
          <input
            className="cr-input"
            required
            maxLength={200}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            placeholder="Fix the flaky login test"
            autoFocus
          />
        </label>
        <label className="cr-field">
          <span className="cr-field-label">Instructions</span>
          <textarea
            className="cr-textarea"
            required
            rows={6}
            value={instructions}
            onChange={(e) => setInstructions(e.target.value)}
            placeholder="What the agent should do, and how you will judge it"
          />
        </label>

        <fieldset className="cr-fieldset">
          <legend className="cr-field-label">Where it works</legend>
          <div className="segmented">
            <label className={where === 'repository' ? 'on' : ''}>
              <input
                type="radio"
                name="where"
                checked={where === 'repository'}
                onChange={() => setWhere('repository')}
                disabled={repos?.length === 0}
              />{' '}
              Repository
            </label>
            <label className={where === 'local' ? 'on' : ''}>
              <input
                type="radio"
                name="where"
                checked={where === 'local'}
                onChange={() => setWhere('local')}
              />{' '}
              Local folder
            </label>
          </div>
          {where === 'repository' ? (
            <label className="cr-field">
              <span className="cr-field-label">
                Repository on this server’s forge (the job ends with a pull request)
              </span>
              <select
                className="cr-select"
                aria-label="Repository"
                value={repo}
                onChange={(e) => setRepo(e.target.value)}
              >
                {(repos ?? []).map((r) => (
                  <option key={`${r.owner}/${r.name}`} value={`${r.owner}/${r.name}`}>
                    {r.owner}/{r.name} ({r.defaultBranch})
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <>
              {repos?.length === 0 ? (
                <p className="hint">
                  This server’s forge has no repositories yet. A push creates one of yours:{' '}
                  <code>
                    git push {window.location.origin}/forge/git/{session.account.name}/NAME.git main
                  </code>{' '}
                  (any user name, the server’s token as the password).
                </p>
              ) : null}
              <p className="hint">
                The agent works in a scratch folder on the runner; its output files are attached to the job.
              </p>
            </>
          )}
        </fieldset>

        <div className="grid-2">
          <label className="cr-field">
            <span className="cr-field-label">Agent</span>
            <select
              className="cr-select"
              aria-label="Agent"
              value={agent}
              onChange={(e) => {
                setAgent(e.target.value);
                setAgentChosen(true);
              }}
            >
              {AGENTS.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.label}
                  {usable && !usable.has(a.id) ? ' — on none of your online runners' : ''}
                </option>
              ))}
            </select>
            {usable && !usable.has(agent) ? (
              <span className="hint" role="status">
                None of your online runners has {AGENTS.find((a) => a.id === agent)?.label ?? agent} ready:
                the job waits until one does (or a teammate&rsquo;s, with team routing). On the runner,
                <code> coord-runner agents</code> says why.
              </span>
            ) : null}
          </label>
          <label className="cr-field">
            <span className="cr-field-label">Model (optional)</span>
            <input
              className="cr-input"
              value={model}
              maxLength={200}
              onChange={(e) => setModel(e.target.value)}
              placeholder="The agent’s default"
            />
          </label>
        </div>
        <label className="cr-field">
          <span className="cr-field-label">Permissions</span>
          <select
            className="cr-select"
            aria-label="Permissions"
            value={permissionMode}
            onChange={(e) => setPermissionMode(e.target.value as PermissionMode | '')}
          >
            <option value="">The runner’s setting</option>
            {Object.entries(PERMISSION_LABELS).map(([mode, label]) => (
              <option key={mode} value={mode}>
                {label}
              </option>
            ))}
          </select>
          <span className="hint">
            What the agent may do without asking you. A job can only be stricter than the runner it runs on.
          </span>
        </label>
        {agent === 'demo' ? (
          <label className="cr-field">
            <span className="cr-field-label">Demo plan (JSON steps: say, ask, write, read, run)</span>
            <textarea
              className="cr-textarea mono"
              rows={10}
              value={plan}
              onChange={(e) => setPlan(e.target.value)}
              spellCheck={false}
            />
          </label>
        ) : null}

        <div className="grid-2">
          <label className="cr-field">
            <span className="cr-field-label">Who may run it</span>
            <select
              className="cr-select"
              aria-label="Who may run it"
              value={routing}
              onChange={(e) => setRouting(e.target.value as RoutingMode)}
            >
              <option value="mine">My runners</option>
              <option value="team">Team runners</option>
              <option value="any">Any runner</option>
              <option value="runner">A runner by name</option>
            </select>
          </label>
          {routing === 'runner' ? (
            <label className="cr-field">
              <span className="cr-field-label">Runner name</span>
              <input
                className="cr-input"
                required
                value={runnerName}
                onChange={(e) => setRunnerName(e.target.value)}
              />
            </label>
          ) : session.workspaces.length > 1 ? (
            <label className="cr-field">
              <span className="cr-field-label">Workspace</span>
              <select
                className="cr-select"
                aria-label="Workspace"
                value={workspace}
                onChange={(e) => setWorkspace(e.target.value)}
              >
                {session.workspaces.map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.name}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
        </div>

        {problem ? (
          <ErrorState
            title="The job was not submitted"
            detail={problem}
            action="Fix what it names and submit again; nothing was queued."
          />
        ) : null}
        <div className="cr-actions form-foot">
          <label className="check">
            <input type="checkbox" checked={backlog} onChange={(e) => setBacklog(e.target.checked)} /> Put it
            in the Backlog (no runner takes it until you make it Ready)
          </label>
          <button type="submit" className="cr-button cr-button-primary" disabled={busy}>
            {busy ? 'Submitting…' : backlog ? 'Add to Backlog' : 'Submit job'}
          </button>
        </div>
      </form>
    </div>
  );
}
