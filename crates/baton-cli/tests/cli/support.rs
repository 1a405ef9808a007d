use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary `BATON_HOME`; its daemon (if one was started) is stopped on drop.
pub struct Home {
    pub tmp: tempfile::TempDir,
    pub home: PathBuf,
}

impl Home {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("baton home");
        Self { tmp, home }
    }

    /// A home at a given place (a filesystem of its own).
    #[allow(dead_code)]
    pub fn new_at(home: PathBuf) -> Self {
        Self { tmp: tempfile::tempdir().unwrap(), home }
    }

    pub fn baton(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(args)
            .env("BATON_HOME", &self.home)
            .current_dir(self.tmp.path())
            .output()
            .unwrap()
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.baton(args);
        assert!(out.status.success(), "baton {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and expects exit code 1 with one line on stderr; returns that line.
    pub fn err(&self, args: &[&str]) -> String {
        let out = self.baton(args);
        assert_eq!(out.status.code(), Some(1), "baton {args:?}: {:?}", out);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr:?}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        stderr
    }

    pub fn repo(&self, name: &str) -> PathBuf {
        let dir = self.tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        git(&dir, &["init", "-q", "-b", "main"]);
        // A first commit: agents branch from it.
        git(
            &dir,
            &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "init"],
        );
        dir
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = self.baton(&["daemon", "stop", "--force"]);
        // A test that failed with no daemon running (one killed on purpose) leaves agents under
        // their shims: they are ended too, the shim first (its agent then gets its hangup or
        // end of input), never a process that is not this home's shim.
        let Ok(dirs) = std::fs::read_dir(self.home.join("agents")) else { return };
        for dir in dirs.flatten() {
            let Ok(pid) = std::fs::read_to_string(dir.path().join("shim.pid")) else { continue };
            let cmdline = std::fs::read(format!("/proc/{}/cmdline", pid.trim())).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).contains(&*dir.path().to_string_lossy()) {
                let _ = Command::new("kill").arg(pid.trim()).output();
            }
        }
    }
}

pub fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?}");
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
