// The deadline loop's queue of due channels: items come out earliest first, each once, only when due; a
// schedule() only brings an item forward; a replaced entry never comes out.
import { describe, expect, it } from 'vitest';
import { DueQueue } from '../../functions/domain/probe/due-queue.js';

/** A small deterministic generator (the test must not depend on Math.random's seed). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('DueQueue', () => {
  it('hands out what is due, earliest first, each item once at its earliest time, against a plain sort', () => {
    const random = lcg(7);
    const queue = new DueQueue<number>();
    const earliest = new Map<number, number>();
    for (let n = 0; n < 5000; n++) {
      const item = Math.floor(random() * 800);
      const at = Math.floor(random() * 10_000);
      queue.schedule(item, at);
      earliest.set(item, Math.min(earliest.get(item) ?? Infinity, at));
    }
    expect(queue.size).toBe(earliest.size);
    const expected = [...earliest].sort((a, b) => a[1] - b[1]);
    const out: Array<[number, number]> = [];
    for (let now = 0; now <= 10_000; now += 250) for (const item of queue.takeDue(now)) out.push([item, earliest.get(item) as number]);
    expect(out.map(([, at]) => at)).toEqual(expected.map(([, at]) => at));
    expect(new Set(out.map(([item]) => item))).toEqual(new Set(earliest.keys()));
    expect(out.every(([item], i) => out.findIndex(([other]) => other === item) === i)).toBe(true);
    expect(queue.size).toBe(0);
    expect(queue.peek()).toBe(Infinity);
  });

  it('keeps an item at its earlier time (a later schedule waits for the owner to ask again) and never hands out a replaced entry', () => {
    const queue = new DueQueue<string>();
    queue.schedule('a', 100);
    queue.schedule('a', 50); // brought forward: the entry at 100 is replaced
    queue.schedule('a', 300); // later: ignored while the entry at 50 is live
    queue.schedule('b', 200);
    expect(queue.peek()).toBe(50);
    expect(queue.takeDue(49)).toEqual([]);
    expect(queue.takeDue(150)).toEqual(['a']); // once, though it had two entries
    expect(queue.peek()).toBe(200);
    queue.schedule('a', 400); // scheduled again after it came out
    expect(queue.takeDue(1000)).toEqual(['b', 'a']);
    expect(queue.size).toBe(0);
  });
});
