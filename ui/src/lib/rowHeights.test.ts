import { describe, expect, it } from "vitest";
import { RowHeights } from "./rowHeights";

describe("RowHeights", () => {
  it("counts unmeasured rows at the estimate", () => {
    const h = new RowHeights(20);
    h.resize(5);
    expect(h.total()).toBe(100);
    expect(h.offset(3)).toBe(60);
    expect(h.indexAt(0)).toBe(0);
    expect(h.indexAt(59)).toBe(2);
    expect(h.indexAt(60)).toBe(3);
    expect(h.indexAt(10_000)).toBe(4);
  });

  it("uses measured heights for offsets and lookups", () => {
    const h = new RowHeights(20);
    h.resize(4);
    expect(h.set(1, 50)).toBe(30);
    expect(h.set(1, 50)).toBe(0);
    expect(h.set(2, 0)).toBe(0); // not laid out: ignored
    expect(h.offset(2)).toBe(70);
    expect(h.total()).toBe(110);
    expect(h.indexAt(69)).toBe(1);
    expect(h.indexAt(70)).toBe(2);
  });

  it("grows past its capacity and shrinks, keeping measurements", () => {
    const h = new RowHeights(10);
    h.resize(3);
    h.set(0, 30);
    h.resize(1_000);
    expect(h.total()).toBe(30 + 999 * 10);
    h.set(999, 110);
    expect(h.offset(999)).toBe(30 + 998 * 10);
    expect(h.total()).toBe(30 + 998 * 10 + 110);
    h.resize(2);
    expect(h.total()).toBe(40);
    expect(h.length).toBe(2);
  });

  it("agrees with a plain sum for 100,000 rows with random heights", () => {
    const h = new RowHeights(24);
    const n = 100_000;
    h.resize(n);
    const heights = new Array<number>(n).fill(24);
    let seed = 7;
    for (let k = 0; k < 2_000; k++) {
      seed = (seed * 48271) % 2147483647;
      const i = seed % n;
      const height = 10 + (seed % 90);
      h.set(i, height);
      heights[i] = height;
    }
    let sum = 0;
    for (let i = 0; i < n; i += 997) {
      sum = heights.slice(0, i).reduce((a, b) => a + b, 0);
      expect(h.offset(i)).toBe(sum);
      expect(h.indexAt(sum)).toBe(i);
      expect(h.indexAt(sum + heights[i]! - 0.5)).toBe(i);
    }
  });

  it("puts rows in front at the estimate, the measured ones keeping their heights", () => {
    const h = new RowHeights(10);
    h.resize(3);
    h.set(0, 50);
    h.set(2, 30);
    h.prepend(100);
    expect(h.length).toBe(103);
    expect(h.offset(100)).toBe(1_000);
    expect(h.height(100)).toBe(50);
    expect(h.height(101)).toBe(10);
    expect(h.height(102)).toBe(30);
    expect(h.total()).toBe(1_000 + 50 + 10 + 30);
    expect(h.indexAt(1_000 + 55)).toBe(101);
  });
});
