// Loads uPlot (and its stylesheet) with a dynamic import the first time a chart is shown, so the
// rest of the app never pays for it.
//
// uPlot makes an `Intl.NumberFormat(navigator.language)` as its module loads. Under the C or
// POSIX locale (LANG unset, LANG=C) WebKitGTK reports the language "C", which is no language
// tag: the constructor throws and the module never loads. While it loads, such a language reads
// as "en-US"; a real one is left alone.

import type uPlot from "uplot";

let loading: Promise<typeof uPlot> | null = null;

export function uPlotLoad(): Promise<typeof uPlot> {
  loading ??= (async () => {
    const restore = languageTagEnsure();
    try {
      const [{ default: loaded }] = await Promise.all([import("uplot"), import("uplot/dist/uPlot.min.css")]);
      return loaded;
    } catch (err) {
      loading = null;
      throw err;
    } finally {
      restore();
    }
  })();
  return loading;
}

/** Makes `navigator.language` a valid tag if it is not; returns how to undo it. */
function languageTagEnsure(): () => void {
  try {
    new Intl.NumberFormat(navigator.language);
    return () => {};
  } catch {
    Object.defineProperty(navigator, "language", { value: "en-US", configurable: true });
    return () => {
      delete (navigator as { language?: string }).language;
    };
  }
}
