// Row heights of a virtual list: every row counts as `estimate` until it has been measured.
// A Fenwick tree over the heights answers "where does row i start" and "which row is at y" in
// O(log n), so a lane with 100,000 events scrolls without summing them all on every frame.

export class RowHeights {
  private readonly estimate: number;
  /** Fenwick tree (1-based) over the heights of rows 0..count-1. */
  private tree = new Float64Array(1);
  /** Measured heights; 0 = not measured yet. */
  private measured = new Float64Array(0);
  private count = 0;

  constructor(estimate: number) {
    this.estimate = estimate;
  }

  get length(): number {
    return this.count;
  }

  /** Grows (new rows at the estimate) or shrinks to `count` rows. */
  resize(count: number): void {
    if (count === this.count) return;
    if (count < this.count || count > this.measured.length) {
      this.rebuild(count);
      return;
    }
    for (let i = this.count; i < count; i++) this.add(i, this.estimate);
    this.count = count;
  }

  /** Puts `count` rows (at the estimate) in front of the others, which keep their heights. */
  prepend(count: number): void {
    if (count <= 0) return;
    const kept = this.measured.slice(0, this.count);
    this.measured = new Float64Array(0);
    this.count = 0;
    this.rebuild(kept.length + count);
    for (let i = 0; i < kept.length; i++) if (kept[i]) this.set(count + i, kept[i]!);
  }

  /** Records a measured height; returns the change from what was counted before. */
  set(index: number, height: number): number {
    if (index < 0 || index >= this.count || !(height > 0)) return 0;
    const before = this.height(index);
    if (before === height) return 0;
    this.measured[index] = height;
    this.add(index, height - before);
    return height - before;
  }

  height(index: number): number {
    return this.measured[index] || this.estimate;
  }

  /** Where row `index` starts (the sum of the heights before it). */
  offset(index: number): number {
    let sum = 0;
    for (let i = Math.min(index, this.count); i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }

  total(): number {
    return this.offset(this.count);
  }

  /** The row at `y` (clamped to the rows there are; 0 when there are none). */
  indexAt(y: number): number {
    if (this.count === 0 || y <= 0) return 0;
    // Fenwick descent: the largest prefix whose sum stays <= y.
    let pos = 0;
    let rest = y;
    for (let step = highestBit(this.tree.length - 1); step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= this.count && this.tree[next]! <= rest) {
        pos = next;
        rest -= this.tree[next]!;
      }
    }
    return Math.min(pos, this.count - 1);
  }

  private add(index: number, delta: number): void {
    for (let i = index + 1; i < this.tree.length; i += i & -i) this.tree[i]! += delta;
  }

  /** A new capacity (doubling, so appends stay amortised O(log n)), built in O(n). */
  private rebuild(count: number): void {
    let capacity = Math.max(64, this.measured.length);
    while (capacity < count) capacity *= 2;
    const measured = new Float64Array(capacity);
    measured.set(this.measured.subarray(0, Math.min(count, this.count)));
    const tree = new Float64Array(capacity + 1);
    for (let i = 0; i < count; i++) tree[i + 1] = measured[i] || this.estimate;
    for (let i = 1; i <= capacity; i++) {
      const parent = i + (i & -i);
      if (parent <= capacity) tree[parent]! += tree[i]!;
    }
    this.measured = measured;
    this.tree = tree;
    this.count = count;
  }
}

function highestBit(n: number): number {
  let bit = 1;
  while (bit * 2 <= n) bit *= 2;
  return bit;
}
