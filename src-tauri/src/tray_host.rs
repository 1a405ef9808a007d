//! Whether a tray host runs, to show our icon: without one the icon is invisible, and a window
//! hidden "in the tray" could not be brought back. libayatana-appindicator (under tray-icon)
//! registers with a StatusNotifierItem watcher on the session bus when one runs (KDE, GNOME's
//! AppIndicator extension, waybar), and otherwise falls back to an XEmbed icon, which the X
//! screen's system tray shows (the owner of `_NET_SYSTEM_TRAY_Sn`: i3bar, lxpanel, trayer,
//! stalonetray). Either host will do.

/// Whether a StatusNotifierItem host or an XEmbed system tray is there.
pub fn tray_host_present() -> bool {
    let status_notifier =
        zbus::blocking::Connection::session().and_then(|bus| status_notifier_on(&bus)).unwrap_or_else(|e| {
            tracing::info!("cannot ask the session bus for a tray host: {e}");
            false
        });
    status_notifier || xembed_tray_on_display()
}

fn status_notifier_on(bus: &zbus::blocking::Connection) -> zbus::Result<bool> {
    let name = zbus::names::BusName::try_from("org.kde.StatusNotifierWatcher")?;
    Ok(zbus::blocking::fdo::DBusProxy::new(bus)?.name_has_owner(name)?)
}

/// Whether the X display (`DISPLAY`) has a system tray: an owner of its screen's tray selection
/// (System Tray Protocol). No X display (Wayland without Xwayland), none.
fn xembed_tray_on_display() -> bool {
    if std::env::var_os("DISPLAY").is_none() {
        return false;
    }
    xembed_tray_on(None).unwrap_or_else(|e| {
        tracing::info!("cannot ask the X display for a system tray: {e}");
        false
    })
}

/// `display`: its name (`:1`), or `None` for `DISPLAY`'s.
fn xembed_tray_on(display: Option<&str>) -> Result<bool, Box<dyn std::error::Error>> {
    use x11rb::connection::Connection as _;
    use x11rb::protocol::xproto::ConnectionExt as _;

    let (conn, screen) = x11rb::connect(display)?;
    let selection = format!("_NET_SYSTEM_TRAY_S{screen}");
    let atom = conn.intern_atom(false, selection.as_bytes())?.reply()?.atom;
    let owner = conn.get_selection_owner(atom)?.reply()?.owner;
    conn.flush()?;
    Ok(owner != x11rb::NONE)
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    use zbus::blocking::connection::Builder;

    use super::{status_notifier_on, xembed_tray_on};

    /// A private session bus (dbus-daemon, as `make setup` installs it), ended when dropped.
    struct Bus(std::process::Child, String);

    impl Bus {
        fn start() -> Self {
            let mut child = Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--print-address=1"])
                .stdout(Stdio::piped())
                .spawn()
                .expect("dbus-daemon (Debian package dbus)");
            let mut address = String::new();
            BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut address).expect("its address");
            Self(child, address.trim().to_owned())
        }

        fn connect(&self) -> zbus::blocking::Connection {
            Builder::address(self.1.as_str()).expect("address").build().expect("connect")
        }
    }

    impl Drop for Bus {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[test]
    fn a_tray_host_is_the_owner_of_the_status_notifier_watcher_name() {
        let bus = Bus::start();
        let app = bus.connect();
        assert!(!status_notifier_on(&app).expect("ask"), "no host on a new bus");
        let host = bus.connect();
        host.request_name("org.kde.StatusNotifierWatcher").expect("own the name");
        assert!(status_notifier_on(&app).expect("ask"), "the host is seen once it owns the name");
        drop(host);
        let gone = (0..200).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(10));
            !status_notifier_on(&app).unwrap_or(true)
        });
        assert!(gone, "a host that left is no longer seen");
    }

    /// A private X server (Xvfb, as `make setup` installs it), ended when dropped.
    struct Display(std::process::Child, String);

    impl Display {
        fn start() -> Self {
            let mut child = Command::new("Xvfb")
                // `-noreset`: by default Xvfb resets when its last client leaves, and a client
                // connecting meanwhile is refused (the test connects several times in a row).
                .args(["-displayfd", "1", "-nolisten", "tcp", "-noreset"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb (Debian package xvfb)");
            let mut number = String::new();
            BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut number).expect("its number");
            Self(child, format!(":{}", number.trim()))
        }
    }

    impl Drop for Display {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[test]
    fn an_xembed_tray_is_the_owner_of_the_screens_tray_selection() {
        use x11rb::connection::Connection as _;
        use x11rb::protocol::xproto::{ConnectionExt as _, CreateWindowAux, WindowClass};

        let display = Display::start();
        assert!(!xembed_tray_on(Some(&display.1)).expect("ask"), "no tray on a new display");
        // A tray host takes the selection with a window of its own (System Tray Protocol).
        let (host, screen) = x11rb::connect(Some(&display.1)).expect("connect");
        let root = host.setup().roots[screen].root;
        let window = host.generate_id().expect("id");
        host.create_window(0, window, root, 0, 0, 1, 1, 0, WindowClass::INPUT_OUTPUT, 0, &CreateWindowAux::new())
            .expect("window");
        let atom = host
            .intern_atom(false, format!("_NET_SYSTEM_TRAY_S{screen}").as_bytes())
            .expect("atom")
            .reply()
            .expect("atom");
        host.set_selection_owner(window, atom.atom, x11rb::CURRENT_TIME).expect("own").check().expect("owned");
        assert!(xembed_tray_on(Some(&display.1)).expect("ask"), "the tray is seen once it owns the selection");
        drop(host);
        let gone = (0..200).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(10));
            !xembed_tray_on(Some(&display.1)).unwrap_or(true)
        });
        assert!(gone, "a tray that left is no longer seen");
    }
}
