import { defineConfig } from 'vitest/config';

/**
 * The memory-only, fast test set that Stryker runs against each mutant (`pnpm run mutation`).
 * No global setup: none of these files needs dynalite or DynamoDB Local (`testServers()` /
 * `inject('dynamoEndpoints')`), so files that do are left out.
 */
export default defineConfig({
  test: {
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    include: [
      'test/units.test.ts',
      'test/option-messages.test.ts',
      'test/cookie-expiry.test.ts',
      'test/fail-fast.test.ts',
      'test/memory-repository.test.ts',
      'test/memory-repository-contract.test.ts',
      'test/requests.test.ts',
      'test/save-and-refresh.test.ts',
      'test/attack/decoder-fuzz.test.ts',
      'test/mutation-gaps.test.ts',
      'test/session-fingerprint.test.ts',
      'test/resolved-handlers.test.ts',
    ],
  },
});
