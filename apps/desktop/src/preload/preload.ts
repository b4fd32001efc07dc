import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi } from './preload-api.js';

// The renderer runs sandboxed with context isolation: this object is all it can reach.
contextBridge.exposeInMainWorld(
  'coord',
  createPreloadApi(ipcRenderer, (why) => console.error(`[coord] ${why}`)),
);
