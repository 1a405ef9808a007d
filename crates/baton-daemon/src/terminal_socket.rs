//! `GET /api/terminals/{id}/socket`: a WebSocket joining one viewer to a terminal. Output goes
//! out as binary frames of raw bytes (the scrollback first, so a viewer that attaches late sees
//! the screen); input and resizes come in as JSON text frames ([`TerminalClientMessage`]; a binary
//! frame is raw input). When the program has ended and its output is all sent, an `exit` message
//! goes out and the socket closes. The ordinary operations on terminals are in `ops/table.rs`;
//! the operations macro speaks request and answer, not a socket, so this route sits beside the
//! events stream.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use baton_core::terminal::{Terminal, TerminalClientMessage, TerminalServerMessage};
use baton_core::{ApiError, ErrorCode};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use crate::server::{Failure, Shared};

/// The most output sent in one frame: chunks that queued up go out together.
const FRAME_MAX: usize = 256 * 1024;
/// xterm's full reset: a viewer that fell behind is redrawn from the scrollback.
const RESET: &[u8] = b"\x1bc";

pub(crate) async fn terminal_socket(
    State(state): State<Shared>,
    Path(id): Path<String>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let terminal = match state.engine.terminal(&id) {
        Ok(t) => t,
        Err(e) => return Failure::from(e).into_response(),
    };
    let Ok(upgrade) = upgrade else {
        return Failure(ApiError::new(
            ErrorCode::InvalidInput,
            "this route is a WebSocket: connect with `Upgrade: websocket` (ws://HOST/api/terminals/ID/socket?token=TOKEN)",
        ))
        .into_response();
    };
    let shutdown = state.shutdown.subscribe();
    upgrade.on_upgrade(move |socket| viewer_serve(socket, terminal, shutdown))
}

async fn viewer_serve(mut socket: WebSocket, terminal: Arc<Terminal>, mut shutdown: watch::Receiver<bool>) {
    let attached = terminal.pty.attach();
    let mut live = attached.live;
    if !attached.scrollback.is_empty() && socket.send(Message::Binary(attached.scrollback.into())).await.is_err() {
        return;
    }
    let mut exit = terminal.pty.exit_watch();
    loop {
        tokio::select! {
            chunk = output_next(&mut live), if live.is_some() => {
                let bytes = match chunk {
                    Output::Bytes(bytes) => bytes,
                    Output::Behind => {
                        let again = terminal.pty.attach();
                        live = again.live;
                        [RESET, &again.scrollback].concat()
                    }
                    Output::Ended => {
                        live = None;
                        continue;
                    }
                };
                if socket.send(Message::Binary(bytes.into())).await.is_err() {
                    return;
                }
            },
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => {
                    let refused = match serde_json::from_str::<TerminalClientMessage>(&text) {
                        Ok(message) => viewer_message(&terminal, message).await.err(),
                        Err(e) => Some(ApiError::new(
                            ErrorCode::InvalidInput,
                            format!("not a terminal message ({e}); send {{\"type\":\"input\",\"data\":\"...\"}} or {{\"type\":\"resize\",\"cols\":80,\"rows\":24}}"),
                        )),
                    };
                    if let Some(error) = refused {
                        let reply = TerminalServerMessage::Error { code: error.code, message: error.message };
                        if server_message_send(&mut socket, &reply).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Ok(Message::Binary(bytes))) => {
                    let _ = terminal_write(&terminal, bytes.to_vec()).await;
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
            // Every byte of output is sent before the end is told.
            () = exited(&mut exit), if live.is_none() => {
                let ended = terminal.pty.exit().unwrap_or(baton_core::terminal::PtyExit { code: None, signal: None });
                let message = TerminalServerMessage::Exit { code: ended.code, signal: ended.signal };
                let _ = server_message_send(&mut socket, &message).await;
                let _ = socket.send(Message::Close(Some(CloseFrame { code: close_code::NORMAL, reason: "exited".into() }))).await;
                return;
            },
            () = stopping(&mut shutdown) => {
                let frame = CloseFrame { code: close_code::AWAY, reason: "the daemon is stopping".into() };
                let _ = socket.send(Message::Close(Some(frame))).await;
                return;
            },
        }
    }
}

enum Output {
    Bytes(Vec<u8>),
    /// The viewer fell behind the terminal's feed and missed output.
    Behind,
    Ended,
}

/// The next output, with whatever else is already queued, up to [`FRAME_MAX`].
async fn output_next(live: &mut Option<tokio::sync::broadcast::Receiver<Arc<[u8]>>>) -> Output {
    let Some(rx) = live.as_mut() else { return Output::Ended };
    let mut bytes = match rx.recv().await {
        Ok(chunk) => chunk.to_vec(),
        Err(RecvError::Lagged(_)) => return Output::Behind,
        Err(RecvError::Closed) => return Output::Ended,
    };
    while bytes.len() < FRAME_MAX {
        match rx.try_recv() {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            // Anything else is met on the next call.
            Err(_) => break,
        }
    }
    Output::Bytes(bytes)
}

async fn viewer_message(terminal: &Arc<Terminal>, message: TerminalClientMessage) -> Result<(), ApiError> {
    match message {
        TerminalClientMessage::Input { data } => terminal_write(terminal, data.into_bytes()).await,
        TerminalClientMessage::Resize { cols, rows } => {
            terminal.pty.resize(cols, rows).map_err(|e| ApiError::new(ErrorCode::InvalidInput, e.to_string()))
        }
    }
}

/// Writes to the terminal off the async runtime: a program that does not read its input makes
/// the write wait once the terminal's buffer is full.
async fn terminal_write(terminal: &Arc<Terminal>, bytes: Vec<u8>) -> Result<(), ApiError> {
    let terminal = terminal.clone();
    let written = tokio::task::spawn_blocking(move || terminal.pty.write(&bytes)).await;
    match written {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            Err(ApiError::new(ErrorCode::Io, format!("cannot write to the terminal: {e}; it has probably exited")))
        }
        Err(e) => Err(ApiError::new(ErrorCode::Internal, format!("the terminal's write failed: {e}"))),
    }
}

async fn exited(exit: &mut watch::Receiver<Option<baton_core::terminal::PtyExit>>) {
    let _ = exit.wait_for(Option::is_some).await;
}

async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn server_message_send(socket: &mut WebSocket, message: &TerminalServerMessage) -> Result<(), axum::Error> {
    let text = serde_json::to_string(message).unwrap_or_default();
    socket.send(Message::Text(text.into())).await
}
