// Entry point: mounts the app into index.html's #app.
import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import { themeApply } from "./lib/theme";

// The system's palette from the first paint; the saved theme replaces it once read (App).
themeApply("system");

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element to mount Baton into");

export default mount(App, { target });
