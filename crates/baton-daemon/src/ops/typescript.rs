//! The TypeScript client of the API, made from the operations' declarations and the ts-rs
//! names of their types, written to `ui/src/lib/api.ts` (a test fails when it is stale). The UI
//! gives it a transport (HTTP in the app and in a browser); it never builds a URL itself.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::specs;

pub fn client() -> String {
    let cfg = ts_rs::Config::new();
    let mut imports: BTreeSet<String> = BTreeSet::from(["EngineEvent".to_owned()]);
    let mut methods = String::new();
    for op in specs() {
        let sig = (op.ts)(&cfg);
        // Only the types the signature names (a type's own dependencies are its file's business).
        let named: Vec<&String> = sig.path_params.iter().map(|(_, t)| t).chain(&sig.query).chain(&sig.body).collect();
        let words =
            |t: &str| t.split(|c: char| !c.is_alphanumeric() && c != '_').map(str::to_owned).collect::<Vec<_>>();
        let used: BTreeSet<String> = named.into_iter().chain([&sig.answer]).flat_map(|t| words(t)).collect();
        imports.extend(sig.imports.iter().filter(|i| used.contains(*i)).cloned());
        let mut args: Vec<String> = sig.path_params.iter().map(|(n, t)| format!("{}: {t}", camel(n))).collect();
        if let Some(q) = &sig.query {
            args.push(format!("query: {q}"));
        }
        if let Some(b) = &sig.body {
            args.push(format!("body: {b}"));
        }
        let mut path = op.path.to_owned();
        for (n, _) in &sig.path_params {
            path = path.replace(&format!("{{{n}}}"), &format!("${{encodeURIComponent(String({}))}}", camel(n)));
        }
        let doc: Vec<&str> = op.doc.iter().map(|l| l.trim()).collect();
        let _ = writeln!(methods, "\n  /** {} */", doc.join(" "));
        let _ = writeln!(methods, "  {}({}): Promise<{}> {{", camel(op.name), args.join(", "), sig.answer);
        let _ = writeln!(
            methods,
            "    return this.transport.call(\"{}\", `{path}`, {}, {});",
            op.method,
            if sig.query.is_some() { "query" } else { "undefined" },
            if sig.body.is_some() { "body" } else { "undefined" },
        );
        let _ = writeln!(methods, "  }}");
    }
    let mut out = String::from(
        "// The daemon's API as TypeScript, generated from crates/baton-daemon/src/ops/table.rs by\n\
         // `make bindings`. Do not edit: change the declaration and regenerate.\n\n",
    );
    for name in &imports {
        let _ = writeln!(out, "import type {{ {name} }} from \"../bindings/{name}\";");
    }
    out.push_str(
        "\nexport type Method = \"GET\" | \"POST\" | \"PATCH\" | \"DELETE\";\n\n\
         /** How the client reaches the engine: one call, and one subscription to its events. */\n\
         export interface Transport {\n\
         \x20 /** Sends one call; rejects with the daemon's `{code, message}` as a BackendError. */\n\
         \x20 call<T>(method: Method, path: string, query: object | undefined, body: unknown): Promise<T>;\n\
         \x20 /**\n\
         \x20  * Receives engine events in batches; `onStatus(true)` once the stream is live and after every\n\
         \x20  * reconnect (reload what is shown then), `onStatus(false)` when it drops. Returns unsubscribe.\n\
         \x20  */\n\
         \x20 subscribe(onBatch: (events: EngineEvent[]) => void, onStatus?: (connected: boolean) => void): () => void;\n\
         }\n\n\
         /** Every operation of the daemon, one method each. */\n\
         export class Api {\n\
         \x20 constructor(readonly transport: Transport) {}\n\n\
         \x20 subscribe(onBatch: (events: EngineEvent[]) => void, onStatus?: (connected: boolean) => void): () => void {\n\
         \x20   return this.transport.subscribe(onBatch, onStatus);\n\
         \x20 }\n",
    );
    out.push_str(&methods);
    out.push_str("}\n");
    out
}

fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
