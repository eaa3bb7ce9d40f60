// Console entry. In the Electron window the preload has put `window.swoosh` there: use the
// IPC adapter; anywhere else, the HTTP/SSE adapter against the origin that served this page.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createHttpApi } from './api/http';
import { createIpcApi, electronBridge } from './api/ipc';
import { Boot } from './Boot';
import '@fontsource-variable/inter';
import '@fontsource-variable/jetbrains-mono';
import './styles.css';

const bridge = electronBridge(window);
const api = bridge ? createIpcApi(bridge) : createHttpApi();
const root = document.getElementById('root');
if (!root) throw new Error('#root missing from index.html');
createRoot(root).render(
  <StrictMode>
    <Boot api={api} />
  </StrictMode>,
);
