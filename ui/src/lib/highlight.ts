// Syntax highlighting of diff lines with Shiki (TextMate grammars, the colours of VS Code's
// GitHub themes). One highlighter for the app, made on first use with the JavaScript regex
// engine (no WebAssembly to load) and no languages: a language's grammar is fetched (its own
// chunk) the first time a file of it is shown. Tokens carry both themes' colours as CSS
// variables (`--shiki-light`, `--shiki-dark`), so a theme change restyles without highlighting
// again. A hunk is highlighted as the code on each side (old: context and deleted lines; new:
// context and added lines), so a line inside a block comment or a string is coloured as one.

import type { GrammarState, HighlighterCore, LanguageRegistration, ThemedToken } from "shiki/core";
import type { DiffLine, Hunk } from "./diff";

type LangLoader = () => Promise<{ default: LanguageRegistration[] }>;

/** The languages Baton highlights, by grammar: a small set, each loaded only when needed. */
const GRAMMARS: Record<string, LangLoader> = {
  typescript: () => import("@shikijs/langs/typescript"),
  tsx: () => import("@shikijs/langs/tsx"),
  javascript: () => import("@shikijs/langs/javascript"),
  jsx: () => import("@shikijs/langs/jsx"),
  rust: () => import("@shikijs/langs/rust"),
  python: () => import("@shikijs/langs/python"),
  go: () => import("@shikijs/langs/go"),
  java: () => import("@shikijs/langs/java"),
  c: () => import("@shikijs/langs/c"),
  cpp: () => import("@shikijs/langs/cpp"),
  json: () => import("@shikijs/langs/json"),
  toml: () => import("@shikijs/langs/toml"),
  yaml: () => import("@shikijs/langs/yaml"),
  markdown: () => import("@shikijs/langs/markdown"),
  css: () => import("@shikijs/langs/css"),
  html: () => import("@shikijs/langs/html"),
  svelte: () => import("@shikijs/langs/svelte"),
  shellscript: () => import("@shikijs/langs/shellscript"),
  sql: () => import("@shikijs/langs/sql"),
};

const BY_EXTENSION: Record<string, string> = {
  ts: "typescript", mts: "typescript", cts: "typescript", tsx: "tsx",
  js: "javascript", mjs: "javascript", cjs: "javascript", jsx: "jsx",
  rs: "rust", py: "python", go: "go", java: "java",
  c: "c", h: "c", cc: "cpp", cpp: "cpp", cxx: "cpp", hpp: "cpp", hh: "cpp",
  json: "json", jsonc: "json", toml: "toml", yaml: "yaml", yml: "yaml",
  md: "markdown", markdown: "markdown", css: "css", html: "html", htm: "html", svelte: "svelte",
  sh: "shellscript", bash: "shellscript", zsh: "shellscript", sql: "sql",
};

const BY_NAME: Record<string, string> = { Dockerfile: "shellscript", Makefile: "shellscript", "Cargo.lock": "toml" };

/** A line longer than this is left plain: minified code would cost much and read no better. */
const LINE_MAX = 2_000;

/** The grammar for a path, by its name or extension; `null` when Baton does not highlight it. */
export function languageOf(path: string): string | null {
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (BY_NAME[name]) return BY_NAME[name];
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return null;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? null;
}

let highlighter: Promise<HighlighterCore> | null = null;
const loaded = new Map<string, Promise<void>>();

function highlighterGet(): Promise<HighlighterCore> {
  highlighter ??= (async () => {
    const [{ createHighlighterCore }, { createJavaScriptRegexEngine }] = await Promise.all([
      import("shiki/core"),
      import("shiki/engine/javascript"),
    ]);
    return createHighlighterCore({
      themes: [import("@shikijs/themes/github-light"), import("@shikijs/themes/github-dark")],
      langs: [],
      engine: createJavaScriptRegexEngine({ forgiving: true }),
    });
  })();
  return highlighter;
}

async function languageLoad(h: HighlighterCore, lang: string): Promise<void> {
  let done = loaded.get(lang);
  if (!done) {
    done = GRAMMARS[lang]!().then((m) => h.loadLanguage(m.default));
    loaded.set(lang, done);
  }
  await done;
}

/** One coloured piece of a line. `style` sets both themes' colours as CSS variables. */
export type Token = { text: string; style: string };

/** Lines highlighted at once before yielding to the browser: a few milliseconds of work. */
const CHUNK_LINES = 200;

/**
 * Tokens for each line of `hunks` (keyed by the line itself), highlighted as `lang`. Hands them
 * over through `onChunk` every CHUNK_LINES lines at most, yielding to the browser in between
 * (a long hunk goes on from where the grammar stood), so a long diff shows its first colours at
 * once and never blocks input for long.
 */
export async function hunksHighlight(
  lang: string,
  hunks: readonly Hunk[],
  onChunk: (tokens: Map<DiffLine, Token[]>) => void,
  cancelled: () => boolean,
): Promise<void> {
  const h = await highlighterGet();
  await languageLoad(h, lang);
  const options = { lang, themes: { light: "github-light", dark: "github-dark" }, defaultColor: false } as const;
  for (const hunk of hunks) {
    for (const side of ["old", "new"] as const) {
      const lines = hunk.lines.filter((l) =>
        side === "old" ? l.kind === "context" || l.kind === "del" : l.kind === "context" || l.kind === "add",
      );
      let state: GrammarState | undefined;
      for (let start = 0; start < lines.length; start += CHUNK_LINES) {
        if (cancelled()) return;
        const slice = lines.slice(start, start + CHUNK_LINES);
        const code = slice.map((l) => (l.text.length > LINE_MAX ? "" : l.text)).join("\n");
        const result = h.codeToTokens(code, state ? { ...options, grammarState: state } : options);
        state = result.grammarState;
        const out = new Map<DiffLine, Token[]>();
        slice.forEach((line, i) => {
          // Context lines take the new side's colours; each changed line its own side's.
          if (side === "old" && line.kind === "context") return;
          if (line.text.length > LINE_MAX) return;
          out.set(line, (result.tokens[i] ?? []).map(tokenOf));
        });
        if (out.size > 0) onChunk(out);
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
  }
}

function tokenOf(t: ThemedToken): Token {
  const style = Object.entries(t.htmlStyle ?? {})
    .map(([k, v]) => `${k}:${v}`)
    .join(";");
  return { text: t.content, style };
}
