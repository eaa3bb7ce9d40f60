// Browser-mode entry: the HTTP/SSE ConsoleApi against the origin that served this page.
// (The Electron window will enter through its own file with the IPC adapter; App is shared.)

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createHttpApi } from './api/http';
import { Boot } from './Boot';
import '@fontsource-variable/inter';
import '@fontsource-variable/jetbrains-mono';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('#root missing from index.html');
createRoot(root).render(
  <StrictMode>
    <Boot api={createHttpApi()} />
  </StrictMode>,
);
