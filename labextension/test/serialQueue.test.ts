import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SerialQueue } from '../src/notebook/serialQueue';

function later(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

describe('notebook ops are applied one at a time', () => {
  test('a task starts only when the one before it has finished', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const slow = queue.run(async () => {
      log.push('save starts');
      await later(30); // a save that reloads the file
      log.push('save ends');
      return 'saved';
    });
    const quick = queue.run(async () => {
      log.push('insert');
      return 'inserted';
    });
    assert.deepEqual(await Promise.all([slow, quick]), ['saved', 'inserted']);
    assert.deepEqual(log, ['save starts', 'save ends', 'insert']);
  });

  test('a failed task fails for its caller only', async () => {
    const queue = new SerialQueue();
    const failed = queue.run(async () => {
      throw new Error('save failed');
    });
    const next = queue.run(async () => 'applied');
    await assert.rejects(failed, /save failed/);
    assert.equal(await next, 'applied');
  });
});
