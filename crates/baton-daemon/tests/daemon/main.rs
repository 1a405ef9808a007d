//! The daemon in this process (a thread) with a temporary home, called over real HTTP.

mod api;
mod discovery;
mod support;
