import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Two static pages: the inspector (index.html, imports only @sipts/message) and the WebSocket
// client (client.html). The "@sipts/source" condition lets Vite read the packages' src/ directly.
export default defineConfig({
  resolve: { conditions: ['@sipts/source', 'browser', 'module', 'import', 'default'] },
  build: {
    target: 'es2022',
    rolldownOptions: {
      input: {
        inspector: resolve(import.meta.dirname, 'index.html'),
        client: resolve(import.meta.dirname, 'client.html'),
      },
    },
  },
});
