// Unit tests of the front end's pure logic (the chat socket client, message merging, formatting):
// `npm run test:unit`. Browser behaviour is covered by the e2e tests in e2e/.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    alias: { '@': new URL('./src', import.meta.url).pathname },
  },
  test: {
    include: ['src/**/*.spec.ts'],
    environment: 'node',
  },
})
