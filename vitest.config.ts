import { defineConfig } from "vitest/config";

// Kernel tests share global state (the trace pipe is one stream for the machine, tracepoints
// see every process): test files run one at a time, and each filters by pid and markers.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
