// @vitest-environment jsdom
// DOMPurify does not sanitise under happy-dom (it drops allowed tags and keeps handlers there);
// jsdom is the DOM it supports, as browsers are.

import { describe, expect, it } from "vitest";
import { markdownHtml } from "./markdown";

function render(markdown: string): HTMLElement {
  const div = document.createElement("div");
  div.innerHTML = markdownHtml(markdown);
  return div;
}

describe("markdownHtml", () => {
  it("renders GitHub markdown: headings, lists, tables, code", () => {
    const html = render("# Spec\n\n- one\n- **two**\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\n```sh\nnpm test\n```\n");
    expect(html.querySelector("h1")!.textContent).toBe("Spec");
    expect([...html.querySelectorAll("li")].map((l) => l.textContent)).toEqual(["one", "two"]);
    expect(html.querySelector("li strong")!.textContent).toBe("two");
    expect([...html.querySelectorAll("td")].map((c) => c.textContent)).toEqual(["1", "2"]);
    expect(html.querySelector("pre code")!.textContent).toBe("npm test\n");
  });

  it("keeps nothing that runs, styles or loads from outside", () => {
    const html = render(
      '<script>alert(1)</script>\n\n<img src="https://x.test/a.png" onerror="alert(2)">\n\n' +
        '<div style="position:fixed" onclick="alert(3)">text</div>\n\n[bad](javascript:alert(4)) <iframe src="https://x.test"></iframe>',
    );
    expect(html.querySelector("script, img, iframe, [onclick], [onerror], [style]")).toBeNull();
    expect(html.textContent).toContain("text");
    expect(html.querySelector("a")!.getAttribute("href")).toBeNull();
  });

  it("opens links outside the app", () => {
    const a = render("[docs](https://example.com/docs)").querySelector("a")!;
    expect(a.getAttribute("href")).toBe("https://example.com/docs");
    expect(a.getAttribute("target")).toBe("_blank");
    expect(a.getAttribute("rel")).toBe("noopener noreferrer");
  });
});
