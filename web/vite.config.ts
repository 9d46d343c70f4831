import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The kefu server serves dist/ at '/' and falls back to index.html for unknown non-API paths.
// During `npm run dev`, API calls are proxied to a local kefu server (KEFU_URL, default :18080).
export default defineConfig({
  base: '/',
  plugins: [vue()],
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false,
  },
  resolve: {
    alias: { '@': new URL('./src', import.meta.url).pathname },
  },
  server: {
    proxy: {
      '/api': { target: process.env.KEFU_URL ?? 'http://127.0.0.1:18080', changeOrigin: false, ws: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
    rollupOptions: {
      // Two pages: the app (index.html) and the customer chat page (chat.html, served at /chat).
      input: {
        main: new URL('./index.html', import.meta.url).pathname,
        chat: new URL('./chat.html', import.meta.url).pathname,
      },
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/element-plus') || id.includes('node_modules/@element-plus')) return 'element-plus'
          // Vue itself on its own, so the chat page (Vue only) does not load the app's other libraries.
          if (id.includes('node_modules/vue/') || id.includes('node_modules/@vue/')) return 'vue'
          // Charts only for the dashboard: a chunk of their own, loaded with that route and nowhere else.
          if (id.includes('node_modules/echarts/') || id.includes('node_modules/zrender/')) return 'echarts'
          if (id.includes('node_modules/')) return 'vendor'
        },
      },
    },
  },
})
