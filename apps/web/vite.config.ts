// The web client's build (Vite through Nx: `nx build web` → dist/apps/web, which the gateway serves on its own
// origin) and development server (`nx serve web`), which proxies the API and the WebSocket to a running gateway so the
// page and the API share an origin as they do in production.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
// The gateway to proxy to in development; it serves TLS with its own self-signed certificate (hence secure: false).
const gateway = process.env['AICO_WEB_GATEWAY'] ?? 'https://127.0.0.1:8443';

export default defineConfig({
  root,
  base: '/',
  cacheDir: '../../node_modules/.vite/apps/web',
  plugins: [react()],
  build: {
    outDir: '../../dist/apps/web',
    emptyOutDir: true,
    reportCompressedSize: true,
    // No source maps in what ships: they would hand the original sources to anyone (and the gateway serves no *.map).
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    host: '127.0.0.1',
    port: 4200,
    strictPort: true,
    proxy: {
      '/api': { target: gateway, changeOrigin: true, secure: false },
      '/ws': { target: gateway, ws: true, changeOrigin: true, secure: false },
      '/embed': { target: gateway, changeOrigin: true, secure: false },
    },
  },
  preview: { host: '127.0.0.1', port: 4300 },
});
