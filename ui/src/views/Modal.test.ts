import { describe, expect, it, vi } from "vitest";
import { createRawSnippet } from "svelte";
import { fireEvent, render, screen } from "@testing-library/svelte";
import Modal from "./Modal.svelte";

const body = createRawSnippet(() => ({
  render: () => `<div><input data-testid="first-field" /><button data-testid="last-button">Go</button></div>`,
}));

describe("Modal", () => {
  it("keeps Tab and Shift+Tab inside the dialog", async () => {
    render(Modal, { props: { title: "T", onClose: vi.fn(), children: body } });
    const close = screen.getByTestId("modal-close");
    const last = screen.getByTestId("last-button");
    last.focus();
    await fireEvent.keyDown(last, { key: "Tab" });
    expect(document.activeElement).toBe(close);
    await fireEvent.keyDown(close, { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(last);
  });

  it("closes on Escape", async () => {
    const onClose = vi.fn();
    render(Modal, { props: { title: "T", onClose, children: body } });
    await fireEvent.keyDown(screen.getByTestId("first-field"), { key: "Escape" });
    expect(onClose).toHaveBeenCalledOnce();
  });
});
