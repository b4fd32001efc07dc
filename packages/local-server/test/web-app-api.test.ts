import { describe, expect, it } from 'vitest';
import { claimNow, register, signIn, startServer, submit } from './helpers.js';

/** The web app's JSON API as its page calls it: session cookie, CSRF header, JSON bodies. */
async function appClient() {
  const { server, api } = await startServer();
  const browser = await signIn(server);
  return { server, api, browser, call: browser.call };
}

const spec = {
  title: 'From the app',
  instructions: 'x',
  context: { type: 'local' },
  agent: { id: 'demo', plan: [{ type: 'say', text: 'hi' }] },
};

describe('the web app and its API', () => {
  it('serves the app shell with a script-only-from-self policy, and no inline script', async () => {
    const { server, browser } = await appClient();
    const shell = await browser.get('/jobs/job_1');
    expect(shell.status).toBe(200);
    const html = await shell.text();
    expect(html).toContain(`<meta name="coord-csrf" content="${browser.csrf}">`);
    expect(html).not.toMatch(/<script(?![^>]*\ssrc="\/assets\/app\.js")/);

    const script = await browser.get('/assets/app.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await browser.get('/assets/app.css')).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
    expect((await browser.get('/assets/..%2Fpackage.json')).status).toBe(404);
    expect((await fetch(`${server.url}/assets/app.js`)).status).toBe(200); // the sign-in page needs it
  });

  it('needs the session, and the CSRF header for anything but GET', async () => {
    const { server, call } = await appClient();
    expect((await fetch(`${server.url}/api/board`)).status).toBe(401);
    const noHeader = await call('POST', '/workspaces/local/jobs', spec, { 'x-coord-csrf': '' });
    expect((await call('POST', '/workspaces/local/jobs', spec, { origin: '' })).status).toBe(403);
    expect(noHeader.status).toBe(403);
    expect((await noHeader.json()) as unknown).toMatchObject({ error: { code: 'auth.forbidden' } });
    // A form post (no preflight) is not JSON, and is refused before it is read.
    const form = await call('POST', '/workspaces/local/jobs', undefined, { 'content-type': 'text/plain' });
    expect(form.status).toBe(415);
    const created = await call('POST', '/workspaces/local/jobs', spec);
    expect(created.status).toBe(201);
    const { jobs } = (await (await call('GET', '/board')).json()) as { jobs: { spec: { title: string } }[] };
    expect(jobs.map((j) => j.spec.title)).toEqual(['From the app']);
  });

  it('refuses the runner side of the protocol and other methods', async () => {
    const { api, call } = await appClient();
    const runner = await register(api);
    await submit(api);
    const { attempt } = await claimNow(api, runner);
    const headers = { 'coord-runner-id': runner };
    expect(
      (await call('POST', `/attempts/${attempt.id}/complete`, { outcome: 'succeeded' }, headers)).status,
    ).toBe(404);
    expect((await call('POST', `/attempts/${attempt.id}/lease`, { state: 'running' }, headers)).status).toBe(
      404,
    );
    expect(
      (await call('PUT', `/attempts/${attempt.id}/interactions/int_1`, { kind: 'question' }, headers)).status,
    ).toBe(404);
  });

  it('finds text and tool calls in a log, and gives the detail of a job', async () => {
    const { api, call } = await appClient();
    const runner = await register(api);
    const jobId = await submit(api);
    const { attempt } = await claimNow(api, runner);
    const at = new Date().toISOString();
    const events = [
      {
        seq: 1,
        at,
        type: 'job.agent',
        data: { event: { type: 'message.completed', role: 'assistant', text: 'Looking 100% at it' } },
      },
      {
        seq: 2,
        at,
        type: 'job.agent',
        data: { event: { type: 'tool.started', toolCallId: 't', name: 'run', kind: 'shell', input: {} } },
      },
      {
        seq: 3,
        at,
        type: 'job.agent',
        data: { event: { type: 'tool.output', toolCallId: 't', stream: 'stdout', chunk: 'looking done' } },
      },
    ];
    expect(
      (await api('POST', `/v1/attempts/${attempt.id}/events`, { events }, { runnerId: runner })).status,
    ).toBe(200);
    const find = async (query: string) =>
      (
        (await (await call('GET', `/attempts/${attempt.id}/find?${query}`)).json()) as {
          index: number | null;
        }
      ).index;
    expect(await find('q=LOOKING&from=0')).toBe(0);
    expect(await find('q=looking&from=1')).toBe(2);
    expect(await find('q=looking&from=1&dir=-1')).toBe(0);
    expect(await find('q=100%25&from=0')).toBe(0);
    expect(await find('q=_&from=0')).toBe(null); // LIKE wildcards are plain characters
    expect(await find('tools=1&from=0')).toBe(1);
    expect(await find('tools=1&from=2')).toBe(null);

    const detail = (await (await call('GET', `/jobs/${jobId}/detail`)).json()) as {
      job: { id: string; attempts: unknown[] };
      interactions: unknown[];
    };
    expect(detail.job.id).toBe(jobId);
    expect(detail.job.attempts).toHaveLength(1);
    expect(detail.interactions).toEqual([]);
  });

  it('streams a job: its detail, then the events of the attempt as they arrive', async () => {
    const { server, api, browser } = await appClient();
    const runner = await register(api);
    const jobId = await submit(api);
    const { attempt } = await claimNow(api, runner);
    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/jobs/${jobId}/stream?attempt=${attempt.id}&after=0`, {
      headers: { cookie: browser.cookie },
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await until(/event: job\ndata: \{"job":\{"id":"job_/);
    const at = new Date().toISOString();
    await api(
      'POST',
      `/v1/attempts/${attempt.id}/events`,
      { events: [{ seq: 1, at, type: 'job.log', data: { level: 'info', message: 'hello stream' } }] },
      { runnerId: runner },
    );
    await until(/event: events\ndata: \[\{"seq":1,[^\n]*hello stream/);
    controller.abort();
  });

  it('lists the account’s runners with their agents and what they run', async () => {
    const { api, call } = await appClient();
    const runner = await register(api);
    await submit(api, { title: 'Busy work' });
    await claimNow(api, runner);
    const { runners } = (await (await call('GET', '/runners')).json()) as {
      runners: {
        name: string;
        online: boolean;
        capacity: number;
        agents: { id: string }[];
        running: { title: string }[];
      }[];
    };
    expect(runners).toMatchObject([
      {
        name: 'runner-a',
        online: true,
        capacity: 1,
        agents: [{ id: 'demo' }],
        running: [{ title: 'Busy work' }],
      },
    ]);
  });

  it('submits to the Backlog with a permission mode, and Make Ready needs the CSRF header', async () => {
    const { api, call } = await appClient();
    const created = await call('POST', '/workspaces/local/jobs', {
      ...spec,
      status: 'backlog',
      agent: { ...spec.agent, permissionMode: 'auto_edit' },
    });
    expect(created.status).toBe(201);
    const { job } = (await created.json()) as { job: { id: string; status: string } };
    expect(job.status).toBe('backlog');
    expect((await api('GET', `/v1/jobs/${job.id}`)).body.job.spec.agent.permissionMode).toBe('auto_edit');
    const bad = await call('POST', '/workspaces/local/jobs', {
      ...spec,
      agent: { ...spec.agent, permissionMode: 'yolo' },
    });
    expect(bad.status).toBe(400);

    expect((await call('POST', `/jobs/${job.id}/ready`, {}, { 'x-coord-csrf': '' })).status).toBe(403);
    expect((await call('POST', `/jobs/${job.id}/ready`, {}, { origin: '' })).status).toBe(403);
    expect((await api('GET', `/v1/jobs/${job.id}`)).body.job.status).toBe('backlog');
    const ready = await call('POST', `/jobs/${job.id}/ready`, {});
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { job: { status: string } }).job.status).toBe('ready');
    expect((await api('GET', `/v1/jobs/${job.id}`)).body.job.status).toBe('ready');
  });
});
