/**
 * The preload of the main window. It runs sandboxed (no Node), bundled as one CommonJS file by
 * electron-vite, and only exposes the contract (see api.ts).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { exposePreloadApi } from './api.ts';

exposePreloadApi(contextBridge, ipcRenderer);
