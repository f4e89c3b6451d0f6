import { fileURLToPath, URL } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

// The backend (python, `opcms api`) listens on 127.0.0.1:8000 in development.
const BACKEND = process.env.OPCMS_DEV_BACKEND ?? 'http://127.0.0.1:8000';

export default defineConfig({
  // The built bundle is served by the backend at `/` (SPA fallback) with assets under `/assets/`.
  base: '/',
  plugins: [vue()],
  resolve: {
    alias: {
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: {
      '/api': { target: BACKEND, changeOrigin: false },
      '/healthz': { target: BACKEND, changeOrigin: false },
      '/docs': { target: BACKEND, changeOrigin: false },
      // FastAPI's /docs page loads the schema from /openapi.json.
      '/openapi.json': { target: BACKEND, changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    sourcemap: false,
    // Arco Design is registered globally; the vendor chunk is large by nature.
    chunkSizeWarningLimit: 2048,
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/unit/**/*.spec.ts'],
    restoreMocks: true,
  },
});
