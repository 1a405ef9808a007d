//! Integration tests of the engine against real git repositories and real SQLite files.

mod bindings;
mod sessions;
mod store;
mod support;
