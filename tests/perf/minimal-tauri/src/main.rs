//! One window, one static page, nothing else: what any Tauri 2 app costs on this machine.

fn main() {
    // The same choice as the desktop app: no accelerated compositing without a GPU, so both are
    // measured alike.
    let has_gpu = std::fs::read_dir("/dev/dri")
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("renderD")))
        .unwrap_or(false);
    if !has_gpu && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        // SAFETY: no other thread runs yet.
        unsafe { std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1") };
    }
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the window opens");
}
