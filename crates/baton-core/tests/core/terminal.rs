//! Programs in a real pseudo-terminal: job control, progress bars, resize, late viewers, stop.

use std::path::PathBuf;
use std::time::Duration;

use baton_core::terminal::{Attached, Pty, PtySpec};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}

fn spec(args: &[&str], cwd: PathBuf) -> PtySpec {
    PtySpec {
        program: "bash".into(),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        cwd,
        // A prompt of our own, and no user's rc files, so the output is predictable.
        env: vec![("PS1".into(), "$ ".into())],
        env_clear: false,
        cols: 80,
        rows: 24,
    }
}

/// An interactive bash without the user's rc files.
const BASH_I: &[&str] = &["--norc", "--noprofile", "-i"];

/// Reads the terminal's output until `done` says it has what it waits for (a generous bound
/// only guards against a hang; it is not a measure).
async fn read_until(attached: &mut Attached, seen: &mut Vec<u8>, done: impl Fn(&str) -> bool) -> String {
    seen.append(&mut attached.scrollback);
    let live = attached.live.as_mut().expect("the terminal's output has not ended");
    tokio::time::timeout(Duration::from_secs(20), async {
        while !done(&String::from_utf8_lossy(seen)) {
            match live.recv().await {
                Ok(chunk) => seen.extend_from_slice(&chunk),
                Err(e) => panic!("the output ended before it came: {e}\n{}", String::from_utf8_lossy(seen)),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out; the output so far:\n{}", String::from_utf8_lossy(seen)));
    String::from_utf8_lossy(seen).into_owned()
}

#[test]
fn an_interactive_shell_has_job_control() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = runtime();
    rt.block_on(async {
        let pty = Pty::spawn(&spec(BASH_I, tmp.path().into()), None).unwrap();
        let mut attached = pty.attach();
        let mut seen = Vec::new();
        read_until(&mut attached, &mut seen, |s| s.contains("$ ")).await;
        pty.write(b"sleep 5 &\rjobs\r").unwrap();
        let out = read_until(&mut attached, &mut seen, |s| s.contains("Running")).await;
        assert!(out.contains("[1]+  Running"), "{out}");
        assert!(out.contains("sleep 5 &"), "{out}");
        // Without a controlling terminal bash says so and runs jobs without control.
        assert!(!out.contains("no job control"), "{out}");
        pty.stop().await;
    });
}

#[test]
fn a_progress_bar_arrives_with_its_carriage_returns() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = runtime();
    rt.block_on(async {
        let script = r#"for i in 1 2 3 4; do printf '\r[%-4s] %d%%' "$(printf '#%.0s' $(seq $i))" $((i*25)); done; echo; echo done"#;
        let pty = Pty::spawn(&spec(&["-c", script], tmp.path().into()), None).unwrap();
        let mut attached = pty.attach();
        let mut seen = Vec::new();
        let out = read_until(&mut attached, &mut seen, |s| s.contains("done")).await;
        assert!(out.contains("\r[#   ] 25%\r[##  ] 50%\r[### ] 75%\r[####] 100%\r\n"), "{out:?}");
        let mut exit = pty.exit_watch();
        let exit = *exit.wait_for(Option::is_some).await.unwrap();
        assert_eq!(exit.map(|e| e.code), Some(Some(0)));
    });
}

#[test]
fn a_resize_reaches_the_program() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = runtime();
    rt.block_on(async {
        let pty = Pty::spawn(&spec(BASH_I, tmp.path().into()), None).unwrap();
        let mut attached = pty.attach();
        let mut seen = Vec::new();
        read_until(&mut attached, &mut seen, |s| s.contains("$ ")).await;
        pty.resize(132, 43).unwrap();
        pty.write(b"stty size\r").unwrap();
        let out = read_until(&mut attached, &mut seen, |s| s.contains("43 132\r\n")).await;
        assert!(out.contains("43 132"), "{out}");
        assert_eq!(pty.size(), (132, 43));
        assert!(pty.resize(0, 10).is_err(), "an empty terminal is refused");
        pty.stop().await;
    });
}

#[test]
fn a_viewer_that_attaches_late_sees_what_was_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = runtime();
    rt.block_on(async {
        let pty = Pty::spawn(&spec(&["-c", "printf 'first\\nsecond\\n'"], tmp.path().into()), None).unwrap();
        let mut exit = pty.exit_watch();
        exit.wait_for(Option::is_some).await.unwrap();
        // The output may still be on its way to the scrollback when the exit is known.
        let mut attached = pty.attach();
        let mut seen = Vec::new();
        if attached.live.is_some() {
            read_until(&mut attached, &mut seen, |s| s.contains("second")).await;
        } else {
            seen = attached.scrollback;
        }
        assert_eq!(String::from_utf8_lossy(&seen), "first\r\nsecond\r\n");
    });
}

fn alive(pid: i32) -> bool {
    // A process whose parent is gone may linger as a zombie until it is reaped: it is not running.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

#[test]
fn stop_ends_the_shell_and_its_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = runtime();
    rt.block_on(async {
        let pty = Pty::spawn(&spec(BASH_I, tmp.path().into()), None).unwrap();
        let mut attached = pty.attach();
        let mut seen = Vec::new();
        read_until(&mut attached, &mut seen, |s| s.contains("$ ")).await;
        // A job that ignores the hangup, in a process group of its own.
        pty.write(b"(trap '' HUP; exec sleep 300) & echo \"JOB=$!\"\r").unwrap();
        let out = read_until(&mut attached, &mut seen, |s| s.contains("JOB=") && s.trim_end().ends_with('$')).await;
        let job: i32 = out
            .rsplit("JOB=")
            .next()
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no job pid in {out}"));
        let shell = i32::try_from(pty.pid().unwrap()).unwrap();
        assert!(alive(job) && alive(shell));
        pty.stop().await;
        let exit = pty.exit().expect("the shell has ended");
        assert!(exit.code.is_some() || exit.signal.is_some());
        // The kill of the session is sent before stop returns; the kernel may take a moment.
        for _ in 0..200 {
            if !alive(job) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(!alive(job), "the shell's job {job} outlived the terminal");
        assert!(!alive(shell));
    });
}
