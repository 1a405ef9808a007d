import { fireEvent, render, screen } from "@testing-library/svelte";
import { createRawSnippet } from "svelte";
import { describe, expect, it } from "vitest";
import VirtualList from "./VirtualList.svelte";

type Item = { id: number; label: string };

const row = createRawSnippet((item: () => Item) => ({
  render: () => `<div class="test-row">${item().label}</div>`,
}));

function items(count: number, from = 0): Item[] {
  return Array.from({ length: count }, (_, i) => ({ id: from + i, label: `item ${from + i}` }));
}

function shownIndexes(): number[] {
  return [...document.querySelectorAll<HTMLElement>(".vlist-row")].map((el) => Number(el.dataset.index));
}

/** happy-dom does no layout: give the scroller the sizes a browser would. */
function layout(viewport: HTMLElement, clientHeight = 600): void {
  const space = () => viewport.querySelector<HTMLElement>(".vlist-space");
  Object.defineProperty(viewport, "clientHeight", { configurable: true, get: () => clientHeight });
  Object.defineProperty(viewport, "scrollHeight", {
    configurable: true,
    get: () => parseFloat(space()?.style.height ?? "0") || 0,
  });
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 0));
}

describe("VirtualList", () => {
  it("renders only a window of 100,000 rows, at the bottom", async () => {
    const list = items(100_000);
    render(VirtualList<Item>, { items: list, version: 1, key: (i: Item) => i.id, row, estimate: 20 });
    await settle();

    const shown = shownIndexes();
    expect(document.querySelectorAll(".test-row").length).toBeLessThan(200);
    expect(shown.length).toBeGreaterThan(10);
    expect(shown.at(-1)).toBe(99_999);
    expect(screen.getByText("item 99999")).toBeTruthy();
    expect(screen.queryByText("item 0")).toBeNull();
    // The space below the window stands for every row.
    expect(document.querySelector<HTMLElement>(".vlist-space")!.style.height).toBe(`${100_000 * 20}px`);
  });

  it("follows new rows while at the bottom, stops when scrolled up, and jumps back", async () => {
    const list = items(1_000);
    const { rerender } = render(VirtualList<Item>, {
      items: list,
      version: 1,
      key: (i: Item) => i.id,
      row,
      estimate: 20,
    });
    const viewport = document.querySelector<HTMLElement>(".vlist")!;
    layout(viewport);
    await settle();

    // Appended in place, with a new version: the newest row is shown and scrolled to.
    list.push(...items(50, 1_000));
    await rerender({ version: 2 });
    await settle();
    expect(shownIndexes().at(-1)).toBe(1_049);
    expect(viewport.scrollTop).toBe(1_050 * 20);
    expect(screen.queryByTestId("jump-latest")).toBeNull();

    // The user scrolls up: the list stays where they are as rows keep coming.
    viewport.scrollTop = 2_000;
    await fireEvent.scroll(viewport);
    list.push(...items(50, 1_050));
    await rerender({ version: 3 });
    await settle();
    expect(viewport.scrollTop).toBe(2_000);
    expect(shownIndexes()).toContain(100);
    expect(shownIndexes()).not.toContain(1_099);
    const jump = screen.getByTestId("jump-latest");
    expect(jump.textContent).toContain("Jump to latest");

    await fireEvent.click(jump);
    await settle();
    expect(shownIndexes().at(-1)).toBe(1_099);
    expect(viewport.scrollTop).toBe(1_100 * 20);
    expect(screen.queryByTestId("jump-latest")).toBeNull();

    // Scrolling back down to the bottom by hand resumes following too.
    viewport.scrollTop = 0;
    await fireEvent.scroll(viewport);
    expect(screen.getByTestId("jump-latest")).toBeTruthy();
    viewport.scrollTop = 1_100 * 20 - 600;
    await fireEvent.scroll(viewport);
    expect(screen.queryByTestId("jump-latest")).toBeNull();
  });

  it("asks for older rows near the top, and keeps the rows in view when they come in front", async () => {
    const list = items(1_000, 5_000);
    let asked = 0;
    const { rerender } = render(VirtualList<Item>, {
      items: list,
      version: 1,
      key: (i: Item) => i.id,
      row,
      estimate: 20,
      onTop: () => asked++,
    });
    const viewport = document.querySelector<HTMLElement>(".vlist")!;
    layout(viewport);
    await rerender({ version: 2 }); // laid out: at the bottom
    await settle();
    expect(asked).toBe(0);

    // The user scrolls up to row 40 (within two screens of the top): older rows are wanted.
    viewport.scrollTop = 800;
    await fireEvent.scroll(viewport);
    expect(asked).toBe(1);
    await settle();
    expect(shownIndexes()).toContain(40);

    // 500 older rows go in front: row 40 is now row 540, and the view moved down with it.
    list.unshift(...items(500, 4_500));
    await rerender({ version: 3 });
    await settle();
    expect(viewport.scrollTop).toBe(800 + 500 * 20);
    expect(shownIndexes()).toContain(540);
    expect(document.body.textContent).toContain("item 5040");
  });

  it("stops following at a wheel turn up, before the scroll event", async () => {
    const list = items(1_000);
    const { rerender } = render(VirtualList<Item>, { items: list, version: 1, key: (i: Item) => i.id, row, estimate: 20 });
    const viewport = document.querySelector<HTMLElement>(".vlist")!;
    layout(viewport);
    await settle();

    await fireEvent.wheel(viewport, { deltaY: -120 });
    list.push(...items(10, 1_000));
    await rerender({ version: 2 });
    await settle();
    expect(shownIndexes()).not.toContain(1_009);
    expect(screen.getByTestId("jump-latest")).toBeTruthy();
  });

  it("shows the empty snippet when there is nothing, then the rows", async () => {
    const list: Item[] = [];
    const empty = createRawSnippet(() => ({ render: () => `<p>Nothing yet.</p>` }));
    const { rerender } = render(VirtualList<Item>, { items: list, version: 0, key: (i: Item) => i.id, row, empty });
    expect(screen.getByText("Nothing yet.")).toBeTruthy();

    list.push(...items(3));
    await rerender({ version: 1 });
    expect(screen.queryByText("Nothing yet.")).toBeNull();
    expect(shownIndexes()).toEqual([0, 1, 2]);
  });
});
