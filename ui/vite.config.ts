// Vite builds the UI into ui/dist, which the Tauri shell serves from its custom
// scheme (tauri://localhost): relative asset paths, no network at run time.
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";
import { defineConfig } from "vitest/config";

export default defineConfig({
  base: "./",
  plugins: [svelte(), svelteTesting()],
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
    // The Rust side rebuilds into target/; watching it would only burn CPU.
    watch: { ignored: ["**/src-tauri/**", "**/target/**"] },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK (Linux) and WKWebView (macOS) are the oldest engines Tauri ships on.
    target: ["es2022", "safari15"],
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.ts"],
    // Tests run on a real `baton daemon` (src/test/daemon.ts); this gives them EventSource.
    setupFiles: ["src/test/setup.ts"],
    // Real processes: a coordinator cycles every second, agents take turns.
    testTimeout: 15_000,
    // Keep CPU modest: other builds share this machine's two cores.
    maxWorkers: 1,
  },
});
