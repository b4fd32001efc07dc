import type { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DesktopMainOptions } from './desktop-main.js';

/**
 * main.ts with Electron mocked (its binary cannot run here): what it hands Electron, and what it
 * does with what Electron hands back. The logic behind it is tested in each module's own tests.
 */
const state = await vi.hoisted(async () => {
  const { EventEmitter } = await import('node:events');
  return {
    options: null as DesktopMainOptions | null,
    windows: [] as unknown[],
    notifications: [] as { options: Record<string, unknown>; shown: boolean; emitter: EventEmitter }[],
    forks: [] as { modulePath: string; args: string[]; options: Record<string, unknown> }[],
    handlers: new Map<string, (...args: unknown[]) => unknown>(),
    appEvents: new EventEmitter(),
    tray: { image: null as unknown, tooltip: '', menu: null as unknown },
    badge: 0,
    navigated: [] as string[],
    launched: 0,
  };
});

vi.mock('./desktop-main.js', () => ({
  createDesktopMain: (options: DesktopMainOptions) => {
    state.options = options;
    return {
      handle: vi.fn(async () => ({ ok: true, result: {} })),
      launch: () => void (state.launched += 1),
      navigate: (jobId: string) => void state.navigated.push(jobId),
      forgetWindow: vi.fn(),
      state: vi.fn(),
      quit: vi.fn(async () => {}),
    };
  },
}));

vi.mock('electron', async () => {
  const { EventEmitter } = await import('node:events');
  class FakeWebContents extends EventEmitter {
    static next = 1;
    id = FakeWebContents.next++;
    openHandler: ((d: { url: string }) => { action: string }) | null = null;
    sent: unknown[] = [];
    setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
      this.openHandler = h;
    }
    send(channel: string, payload: unknown) {
      this.sent.push({ channel, payload });
    }
  }
  class BrowserWindow extends EventEmitter {
    static getAllWindows = () => state.windows as BrowserWindow[];
    webContents = new FakeWebContents();
    shown = false;
    loaded: string | null = null;
    constructor(readonly options: Record<string, unknown>) {
      super();
      state.windows.push(this);
    }
    loadFile(file: string) {
      this.loaded = file;
      return Promise.resolve();
    }
    isMinimized = () => false;
    restore() {}
    show() {
      this.shown = true;
    }
    focus() {}
    hide() {
      this.shown = false;
    }
  }
  class Notification extends EventEmitter {
    static isSupported = () => true;
    constructor(readonly options: Record<string, unknown>) {
      super();
    }
    show() {
      state.notifications.push({ options: this.options, shown: true, emitter: this });
    }
  }
  class Tray extends EventEmitter {
    setImage(image: unknown) {
      state.tray.image = image;
    }
    setToolTip(tip: string) {
      state.tray.tooltip = tip;
    }
    setContextMenu(menu: unknown) {
      state.tray.menu = menu;
    }
  }
  const app = Object.assign(state.appEvents, {
    requestSingleInstanceLock: () => true,
    setAsDefaultProtocolClient: vi.fn(),
    whenReady: () => Promise.resolve(),
    isPackaged: false,
    getVersion: () => '9.9.9',
    getLoginItemSettings: () => ({ openAtLogin: false }),
    setLoginItemSettings: vi.fn(),
    setBadgeCount: (n: number) => void (state.badge = n),
    quit: vi.fn(),
  });
  return {
    app,
    BrowserWindow,
    Notification,
    Tray,
    ipcMain: {
      handle: (channel: string, fn: (...args: unknown[]) => unknown) => state.handlers.set(channel, fn),
    },
    Menu: { buildFromTemplate: (template: unknown) => ({ template }) },
    nativeImage: { createFromPath: (path: string) => ({ path }) },
    safeStorage: {
      isEncryptionAvailable: () => true,
      encryptString: (s: string) => Buffer.from(s),
      decryptString: (b: Buffer) => b.toString(),
    },
    shell: { openExternal: vi.fn(async () => {}) },
    utilityProcess: {
      fork: (modulePath: string, args: string[], options: Record<string, unknown>) => {
        state.forks.push({ modulePath, args, options });
        const child = Object.assign(new EventEmitter(), {
          pid: 4242,
          stdout: new EventEmitter(),
          stderr: new EventEmitter(),
          kill: vi.fn(() => true),
        });
        return child;
      },
    },
  };
});

let stateDir = '';
beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'coord-desktop-main-'));
  process.env['COORD_RUNNER_STATE_DIR'] = stateDir;
  await import('./main.js');
  await vi.waitFor(() => expect(state.launched).toBe(1));
});
afterAll(() => {
  delete process.env['COORD_RUNNER_STATE_DIR'];
  rmSync(stateDir, { recursive: true, force: true });
});

type FakeWindow = {
  options: { webPreferences: Record<string, unknown> };
  webContents: EventEmitter & {
    id: number;
    openHandler: (d: { url: string }) => { action: string };
    sent: unknown[];
  };
  shown: boolean;
  loaded: string;
};
const firstWindow = () => state.windows[0] as FakeWindow;

describe('the main process with Electron mocked', () => {
  it('opens one sandboxed, isolated window on the app page, with no node in it', () => {
    const win = firstWindow();
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
    expect(String(win.options.webPreferences['preload'])).toMatch(/preload[/\\]preload\.cjs$/);
    expect(win.loaded).toMatch(/renderer[/\\]index\.html$/);
    expect(state.options!.pageUrl).toMatch(/^file:\/\/.*renderer\/index\.html$/);
    expect(state.options!.stateDir).toBe(stateDir);
  });

  it('answers the one invoke channel through the router, and keeps the window on its page', async () => {
    expect([...state.handlers.keys()]).toEqual(['coord:invoke']);
    const win = firstWindow();
    // Links open in the browser, never in the window.
    expect(win.webContents.openHandler({ url: 'https://forge.example/pull/1' })).toEqual({ action: 'deny' });
    let prevented = false;
    win.webContents.emit(
      'will-navigate',
      { preventDefault: () => (prevented = true) },
      'https://evil.example/',
    );
    expect(prevented).toBe(true);
  });

  it('raises a notification that cannot be missed for a waiting approval; clicking it opens the job', () => {
    state.options!.notify({ title: 'Approve Bash?', body: 'Fix it: npm test', jobId: 'job_1', urgent: true });
    const note = state.notifications.at(-1)!;
    expect(note.options).toMatchObject({
      title: 'Approve Bash?',
      body: 'Fix it: npm test',
      urgency: 'critical',
      silent: false,
      timeoutType: 'never',
    });
    firstWindow().shown = false;
    note.emitter.emit('click');
    expect(firstWindow().shown).toBe(true);
    expect(state.navigated).toEqual(['job_1']);
    state.options!.notify({ title: 'Job done', body: 'Fix it', jobId: 'job_1', urgent: false });
    expect(state.notifications.at(-1)!.options).toMatchObject({ urgency: 'normal', silent: true });
  });

  it('shows the runner state in the tray and the waiting count on the badge', () => {
    state.options!.onTray({ icon: 'waiting', label: '2 waiting for you', badge: 2 });
    expect(state.tray.image).toEqual({ path: expect.stringMatching(/tray-waiting\.png$/) });
    expect(state.tray.tooltip).toBe('Coord Runner: 2 waiting for you');
    expect(state.badge).toBe(2);
  });

  it('starts the runner as coord-runner in a utility process, the token in its environment only', () => {
    const token = 'coord_pat_abcdefghijklmnopqrstuvwxyz012345';
    const child = state.options!.spawnRunner({ server: 'https://coord.example', token });
    const fork = state.forks.at(-1)!;
    expect(fork.modulePath).toMatch(/cli[/\\]bin[/\\]coord-runner\.js$/);
    expect(fork.args.slice(0, 5)).toEqual([
      'start',
      '--server',
      'https://coord.example',
      '--state-dir',
      stateDir,
    ]);
    expect(fork.args.join(' ')).not.toContain(token);
    expect((fork.options['env'] as Record<string, string>)['COORD_TOKEN']).toBe(token);
    expect(child.pid).toBe(4242);
  });

  it('a deep link from a second instance opens the job', () => {
    state.appEvents.emit('second-instance', {}, ['/opt/coord', 'coord-runner://jobs/job_42']);
    expect(state.navigated.at(-1)).toBe('job_42');
    state.appEvents.emit('second-instance', {}, ['/opt/coord', 'coord-runner://jobs/../../etc']);
    expect(state.navigated.at(-1)).toBe('job_42');
  });
});
