// The program line of a `command` agent, split into the program and its arguments the way a
// POSIX shell splits words, without running a shell: Baton never starts agents through one.
// Supported: spaces between words, '...' (literal), "..." (with \" and \\ escapes), and a
// backslash before any character outside quotes. Not supported: variables, globs, pipes, `~`.

export class ArgsError extends Error {}

export function splitArgs(line: string): string[] {
  const args: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) args.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== null) {
    throw new ArgsError(
      `The program line has an unclosed ${quote === "'" ? "single" : "double"} quote: close it, or ` +
        "put a backslash before the quote to keep it as a character.",
    );
  }
  if (inWord) args.push(word);
  return args;
}
