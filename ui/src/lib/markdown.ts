// Markdown from agents (results, specifications, a lane's assistant text) as safe HTML: `marked`
// turns it into HTML (GitHub's dialect: tables, fenced code), DOMPurify keeps only plain
// content. Agents' text is untrusted: no scripts, styles, forms or frames survive, and nothing
// loads from the network (images are dropped, as the app loads nothing from outside); links
// open outside the app instead of replacing it.

import DOMPurify from "dompurify";
import { Marked } from "marked";

const marked = new Marked({ gfm: true, breaks: false, async: false });

const purify = DOMPurify();
purify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

/** Sanitised HTML for `markdown`; its text, escaped, where no sanitiser can run. */
export function markdownHtml(markdown: string): string {
  if (!purify.isSupported) return `<pre>${escapeHtml(markdown)}</pre>`;
  const html = marked.parse(markdown, { async: false });
  return purify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["img", "picture", "video", "audio", "source", "style", "form", "input", "button", "iframe"],
    FORBID_ATTR: ["style", "srcset"],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
