/** Trace and span ids (W3C trace context): lower-case hex of the right length, never repeated, across refills of the random pool. */
import { describe, expect, it } from 'vitest';
import { newSpanId, newTraceId } from '../../src/observe/trace-context.js';

describe('trace ids', () => {
  it('are 32 and 16 lower-case hex characters, unique over many pool refills', () => {
    const traces = new Set<string>();
    const spans = new Set<string>();
    // 20,000 × 24 bytes is ~120 refills of the 4 KiB pool
    for (let i = 0; i < 20_000; i++) {
      const t = newTraceId();
      const s = newSpanId();
      expect(t).toMatch(/^[0-9a-f]{32}$/);
      expect(s).toMatch(/^[0-9a-f]{16}$/);
      traces.add(t);
      spans.add(s);
    }
    expect(traces.size).toBe(20_000);
    expect(spans.size).toBe(20_000);
  });
});
