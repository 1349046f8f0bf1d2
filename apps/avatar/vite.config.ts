// The embeddable avatar page (`nx build avatar` → dist/apps/avatar, served by the gateway at /embed/avatar/). The default
// avatar is not a file in the repository: tools/avatar/generate-default-avatar.mjs builds it, and this config emits
// it as models/default.glb (and serves it the same way in development), so the shipped model is always the script's.
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const MODEL_PATH = 'models/default.glb';

async function defaultAvatarBytes(): Promise<Uint8Array> {
  // Loaded at run time (plain ESM JavaScript, so it also runs alone: node tools/avatar/generate-default-avatar.mjs).
  const script = new URL('../../tools/avatar/generate-default-avatar.mjs', import.meta.url).href;
  const generator = (await import(script)) as { buildDefaultAvatarGlb: () => Promise<Uint8Array> };
  return generator.buildDefaultAvatarGlb();
}

function defaultAvatar(): Plugin {
  return {
    name: 'aico-default-avatar',
    async generateBundle() {
      this.emitFile({ type: 'asset', fileName: MODEL_PATH, source: await defaultAvatarBytes() });
    },
    configureServer(server) {
      server.middlewares.use(`/embed/avatar/${MODEL_PATH}`, (_request, response, next) => {
        defaultAvatarBytes().then((bytes) => {
          response.setHeader('Content-Type', 'model/gltf-binary');
          response.end(bytes);
        }, next);
      });
    },
  };
}

export default defineConfig({
  root,
  base: '/embed/avatar/',
  cacheDir: '../../node_modules/.vite/apps/avatar',
  plugins: [defaultAvatar()],
  build: {
    outDir: '../../dist/apps/avatar',
    emptyOutDir: true,
    reportCompressedSize: true,
    // No source maps in what ships: they would hand the original sources to anyone (and the gateway serves no *.map).
    sourcemap: false,
    target: 'es2022',
    // three.js is most of the page; one chunk is what an embedding WebView wants to cache.
    chunkSizeWarningLimit: 800,
  },
  server: { host: '127.0.0.1', port: 4210, strictPort: true },
});
