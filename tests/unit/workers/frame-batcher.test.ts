import { describe, expect, it } from 'vitest';
import { FrameBatcher } from '../../../src/workers/frame-batcher.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('FrameBatcher', () => {
  it('posts the frames of one turn as one batch, at the end of the turn', async () => {
    const posts: number[][] = [];
    const batcher = new FrameBatcher<number>((frames) => posts.push(frames));
    batcher.push(1);
    batcher.push(2);
    await Promise.resolve();
    expect(posts).toEqual([]);
    await nextTurn();
    expect(posts).toEqual([[1, 2]]);
  });

  it('with `soon`, posts the batch once the current task ends, with every frame pushed in that task', async () => {
    const posts: number[][] = [];
    const batcher = new FrameBatcher<number>((frames) => posts.push(frames));
    batcher.push(1, true);
    batcher.push(2);
    expect(posts).toEqual([]);
    await Promise.resolve();
    expect(posts).toEqual([[1, 2]]);
  });

  it('`soon` does not reorder: a frame asked soon after queued ones joins their batch', async () => {
    const posts: number[][] = [];
    const batcher = new FrameBatcher<number>((frames) => posts.push(frames));
    batcher.push(1);
    batcher.push(2, true);
    await Promise.resolve();
    expect(posts).toEqual([]);
    await nextTurn();
    expect(posts).toEqual([[1, 2]]);
  });

  it('still merges frames with `soon`, and holds them while there is no thread', async () => {
    const posts: string[][] = [];
    const batcher = new FrameBatcher<string>((frames) => posts.push(frames), (last, next) => last === next);
    batcher.hold();
    batcher.push('a', true);
    batcher.push('a', true);
    await nextTurn();
    expect(posts).toEqual([]);
    batcher.release();
    expect(posts).toEqual([['a']]);
  });
});
