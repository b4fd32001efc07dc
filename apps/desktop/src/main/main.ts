import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  app,
  BrowserWindow,
  ipcMain,
  Menu,
  nativeImage,
  Notification,
  safeStorage,
  shell,
  Tray,
  utilityProcess,
} from 'electron';
import { IPC, type DesktopPush } from '../shared/desktop-api.js';
import { createCredentialStore } from './credentials.js';
import { deepLinkInArgs, DEEP_LINK_SCHEME, jobFromDeepLink } from './deep-link.js';
import { createDesktopMain } from './desktop-main.js';
import { createOutputBuffer } from './output-buffer.js';
import { runnerCommand } from './runner-command.js';
import { asRunnerChild } from './runner-supervisor.js';
import { desktopStateDir } from './state-dir.js';
import type { TrayIcon } from './tray-state.js';

/**
 * The composition root for people: Electron's pieces handed to `createDesktopMain`. Everything
 * with logic lives in the modules it imports, which are tested as plain functions; this file
 * only wires windows, the tray, notifications and the utility process.
 */
const here = dirname(fileURLToPath(import.meta.url));
const rendererPage = join(here, '../renderer/index.html');
const pageUrl = pathToFileURL(rendererPage).href;
const stateDir = desktopStateDir();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);
  void app.whenReady().then(boot);
}

/**
 * The CLI that runs as the runner: a dependency of the app, so it is found the same way in the
 * workspace and in the packaged app (unpacked from the asar there, see electron-builder.yml).
 */
function cliPath(): string {
  const pkg = dirname(createRequire(import.meta.url).resolve('@coord/runner-cli/package.json'));
  return join(pkg.replace(`app.asar${sep}`, `app.asar.unpacked${sep}`), 'bin', 'coord-runner.js');
}

function boot(): void {
  let window: BrowserWindow | null = null;
  let tray: Tray | null = null;
  let quitting = false;
  const output = createOutputBuffer(join(stateDir, 'logs', 'desktop-runner.log'));
  const icons = Object.fromEntries(
    (['idle', 'running', 'waiting', 'offline'] as const).map((name) => [
      name,
      nativeImage.createFromPath(join(here, '../../assets', `tray-${name}.png`)),
    ]),
  ) as Record<TrayIcon, Electron.NativeImage>;

  const send = (push: DesktopPush, windowId: number | null) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (windowId === null || win.webContents.id === windowId) win.webContents.send(IPC.push, push);
    }
  };

  const desktop = createDesktopMain({
    stateDir,
    version: app.getVersion(),
    pageUrl,
    windowIds: () => BrowserWindow.getAllWindows().map((w) => w.webContents.id),
    credentials: createCredentialStore(join(stateDir, 'desktop-credentials.json'), safeStorage),
    clientName: `Coord Runner desktop on ${hostname()}`,
    spawnRunner: (credentials) => {
      const command = runnerCommand({
        cliPath: cliPath(),
        stateDir,
        credentials,
        baseEnv: process.env,
        name: hostname(),
      });
      const child = utilityProcess.fork(command.modulePath, command.args, {
        env: command.env,
        stdio: 'pipe',
        serviceName: 'Coord Runner',
      });
      return asRunnerChild(
        child,
        () => void child.kill(),
        (chunk) => output.write(chunk),
      );
    },
    runnerOutput: () => output.last(),
    push: send,
    notify: (n) => {
      if (!Notification.isSupported()) return;
      const notification = new Notification({
        title: n.title,
        body: n.body,
        urgency: n.urgent ? 'critical' : 'normal',
        silent: !n.urgent,
        timeoutType: n.urgent ? 'never' : 'default',
      });
      notification.on('click', () => {
        show();
        desktop.navigate(n.jobId);
      });
      notification.show();
    },
    onTray: (state) => {
      tray?.setImage(icons[state.icon]);
      tray?.setToolTip(`Coord Runner: ${state.label}`);
      tray?.setContextMenu(
        Menu.buildFromTemplate([
          { label: state.label, enabled: false },
          { type: 'separator' },
          { label: 'Open Coord Runner', click: show },
          { label: 'Quit', click: () => app.quit() },
        ]),
      );
      app.setBadgeCount(state.badge);
    },
    openExternal: (url) => void shell.openExternal(url),
    loginItem: {
      get: () => app.getLoginItemSettings().openAtLogin,
      set: (enabled) => app.setLoginItemSettings({ openAtLogin: enabled }),
    },
    log: (line) => output.write(`[desktop] ${line}\n`),
  });

  ipcMain.handle(IPC.invoke, (event, payload: unknown) => desktop.handle(event, payload));

  function show(): void {
    if (!window) window = createWindow();
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  }

  function createWindow(): BrowserWindow {
    const win = new BrowserWindow({
      width: 1180,
      height: 780,
      minWidth: 760,
      minHeight: 520,
      title: 'Coord Runner',
      show: false,
      backgroundColor: '#0f1115',
      webPreferences: {
        preload: join(here, '../preload/preload.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        spellcheck: false,
      },
    });
    const id = win.webContents.id;
    // The window shows the app's page only: links open in the browser, nothing navigates it away.
    win.webContents.setWindowOpenHandler(({ url }) => {
      if (/^https?:\/\//.test(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
    win.webContents.on('will-navigate', (event, url) => {
      if (url !== pageUrl) event.preventDefault();
    });
    win.once('ready-to-show', () => win.show());
    // Closing the window keeps the runner working in the tray; Quit ends both.
    win.on('close', (event) => {
      if (!quitting && tray) {
        event.preventDefault();
        win.hide();
      }
    });
    win.on('closed', () => {
      desktop.forgetWindow(id);
      window = null;
    });
    void win.loadFile(rendererPage);
    return win;
  }

  const openLink = (link: string | null) => {
    const jobId = link ? jobFromDeepLink(link) : null;
    show();
    if (jobId) desktop.navigate(jobId);
  };
  app.on('second-instance', (_event, argv) => openLink(deepLinkInArgs(argv)));
  app.on('open-url', (event, url) => {
    event.preventDefault();
    openLink(url);
  });
  app.on('activate', show);
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    // Jobs in flight stop gracefully (their sessions saved) before the app goes.
    void desktop.quit().finally(() => app.quit());
  });

  tray = new Tray(icons.offline);
  tray.on('click', show);
  show();
  desktop.launch();
  const link = deepLinkInArgs(process.argv);
  if (link) openLink(link);
}
