// Read by svelte-check and the Svelte language server; Vite's plugin reads it too.
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

export default {
  preprocess: vitePreprocess(),
};
