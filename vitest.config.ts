import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/plain-summary.ts'],
    // End-to-end files boot emulators and spawn job processes; give them room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // CDK writes cdk.out folders under TMPDIR: keep them in a gitignored folder.
      TMPDIR: `${process.cwd()}/.tmp`,
    },
  },
});
