#!/usr/bin/python3
"""Plays the window manager for a process's windows (Debian package python3-xlib).

    wm-close.py state PID   prints, per top-level window of PID that takes WM_DELETE_WINDOW,
                            "WINDOW_ID viewable|hidden" (one line each)
    wm-close.py close PID   sends each of them WM_DELETE_WINDOW, as a window manager does when
                            the user clicks the window's close button (ICCCM 4.2.8.1)

WebDriver's "close window" destroys the window, so the app never sees the request to close it;
this sends the request itself.
"""
import sys

from Xlib import X, display
from Xlib.protocol import event


def windows_of(d, pid):
    net_wm_pid = d.intern_atom("_NET_WM_PID")
    protocols = d.intern_atom("WM_PROTOCOLS")
    delete = d.intern_atom("WM_DELETE_WINDOW")
    found = []
    for w in d.screen().root.query_tree().children:
        prop = w.get_full_property(net_wm_pid, X.AnyPropertyType)
        if prop is None or pid not in prop.value:
            continue
        taken = w.get_full_property(protocols, X.AnyPropertyType)
        if taken is not None and delete in taken.value:
            found.append(w)
    return found, protocols, delete


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("state", "close"):
        sys.exit(__doc__)
    what, pid = sys.argv[1], int(sys.argv[2])
    d = display.Display()
    found, protocols, delete = windows_of(d, pid)
    if not found:
        sys.exit(f"no top-level window of process {pid} takes WM_DELETE_WINDOW")
    for w in found:
        if what == "state":
            viewable = w.get_attributes().map_state == X.IsViewable
            print(f"{w.id:#x} {'viewable' if viewable else 'hidden'}")
        else:
            message = event.ClientMessage(
                window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
            )
            w.send_event(message, event_mask=X.NoEventMask)
    d.flush()


main()
