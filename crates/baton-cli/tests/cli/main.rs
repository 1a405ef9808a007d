//! The real `baton` binary, run as a user would, each test with its own `BATON_HOME`.

mod daemon;
mod session;
mod support;
