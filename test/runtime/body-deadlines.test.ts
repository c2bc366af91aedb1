/** One sweeper holds streaming upstream bodies to their call's deadline (src/consume/body-deadlines.ts). */
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { SWEEP_MS, unwatchBody, watchBody } from '../../src/consume/body-deadlines.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('body deadlines', () => {
  it('destroys a body with its error once the deadline passes, within one sweep, and not before', async () => {
    const body = new PassThrough();
    const failed = new Promise<Error>((r) => body.once('error', r));
    const start = Date.now();
    watchBody(body, start + 120, () => Object.assign(new Error('overdue'), { code: 'NR_DEADLINE' }));
    await wait(80);
    expect(body.destroyed).toBe(false);
    const err = await failed;
    const late = Date.now() - (start + 120);
    expect(err).toMatchObject({ message: 'overdue', code: 'NR_DEADLINE' });
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(SWEEP_MS + 100);
  });

  it('leaves a body alone once it is unwatched, and watches others independently', async () => {
    const done = new PassThrough();
    const late = new PassThrough();
    late.on('error', () => {});
    watchBody(done, Date.now() + 40, () => new Error('should not happen'));
    watchBody(late, Date.now() + 40, () => new Error('overdue'));
    unwatchBody(done);
    await wait(40 + 3 * SWEEP_MS);
    expect(done.destroyed).toBe(false);
    expect(late.destroyed).toBe(true);
  });
});
