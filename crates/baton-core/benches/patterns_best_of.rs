//! A best-of-5 on one machine: its wall time against one agent alone and five in a row, and the
//! selection's own cost (the checks and the judge) on top of the candidates' time.
//!
//! `TMPDIR=/dev/shm cargo bench -p baton-core --bench patterns_best_of --profile dev`. Agents are
//! the stand-in Claude of `tests/fixtures/fake-claude`; each candidate's turn says SLOW, so it
//! takes 1.5 s, standing for the model's work; the judge answers at once. Each shape runs in its
//! own session (cycles every second, at most 5 agents), from the pattern's run to its last task
//! done:
//! - one: one task;
//! - in a row: five tasks, each after the one before;
//! - fan-out: five tasks in parallel (no selection);
//! - best-of-5: the same five, then a select task whose check (`sleep 0.2`, standing for the
//!   tests) runs in each worktree and whose judge picks one.
//!
//! The selection overhead is best-of-5 minus fan-out. Measurement only; results go to stdout and
//! docs/perf.md records them.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use baton_core::pattern::PatternRun;
use baton_core::session::{SessionCreate, SessionUpdate};
use baton_core::{BatonHome, Engine};

const RUNS: usize = 3;

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git").arg("-C").arg(dir).args(args).status().expect("git").success();
    assert!(ok, "git {args:?}");
}

fn repo(root: &Path, name: &str) -> std::path::PathBuf {
    let repo = root.join(name);
    std::fs::create_dir_all(&repo).expect("repo");
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("README.md"), "hello\n").expect("readme");
    git(&repo, &["add", "."]);
    git(&repo, &["-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "init"]);
    repo
}

fn task(name: &str, extra: &str) -> String {
    format!("[[tasks]]\nname = \"{name}\"\ntitle = \"{name}\"\nprompt = \"SLOW build {{goal}}\"\n{extra}\n")
}

fn templates() -> Vec<(&'static str, String)> {
    let head = |n: &str| format!("name = \"{n}\"\ndescription = \"perf\"\n[roles.judge]\n");
    let row: String = (1..=5)
        .map(|i| task(&format!("t{i}"), &if i > 1 { format!("after = [\"t{}\"]", i - 1) } else { String::new() }))
        .collect();
    let select = "[[tasks]]\nname = \"pick\"\ntitle = \"pick\"\nafter = [\"impl\"]\nprompt = \"Pick\"\n\
                  select = { command = \"sleep 0.2\", judge = \"judge\" }\n";
    vec![
        ("one", format!("{}{}", head("one"), task("t", ""))),
        ("row", format!("{}{row}", head("row"))),
        ("fan", format!("{}{}", head("fan"), task("impl", "count = 5"))),
        ("best", format!("{}{}{select}", head("best"), task("impl", "count = 5"))),
    ]
}

fn main() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().canonicalize().expect("resolve tempdir");
    let home = BatonHome::at(root.join("home"));
    std::fs::create_dir_all(home.root().join("templates")).expect("home");
    for (name, text) in templates() {
        std::fs::write(home.root().join("templates").join(format!("{name}.toml")), text).expect("template");
    }
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fake-claude");
    let verdicts = root.join("verdicts");
    let verdict = r#"{\"winner\":\"impl-1\",\"scores\":{\"impl-1\":9},\"reasons\":\"first\"}"#;
    std::fs::write(&verdicts, format!("{verdict}\n").repeat(RUNS)).expect("verdicts");
    // Unconfined: the stand-in talks through files under $TMPDIR, which a sandbox makes private
    // (the sandbox's own cost is the sandbox_start bench's).
    let settings = serde_json::json!({"agents": {"sandbox": "off"}, "clis": {"claude": {"binary": fake, "env": {
        "FAKE_DIR": root, "FAKE_VERDICTS": verdicts
    }}}});
    std::fs::write(home.settings_file(), settings.to_string()).expect("settings");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let e = {
        let _enter = rt.enter();
        Engine::open(home.clone()).expect("engine")
    };
    let mut n = 0;
    let mut run = |e: &Engine, pattern: &str| -> Duration {
        n += 1;
        let name = format!("{pattern}{n}");
        let repo = repo(&root, &name);
        e.session_create(&SessionCreate {
            repo: repo.to_string_lossy().into(),
            name: Some(name.clone()),
            parent: None,
        })
        .expect("session");
        let update = SessionUpdate { cycle_secs: Some(1), max_agents: Some(5), ..Default::default() };
        e.session_update(&name, &update).expect("settings");
        let started = Instant::now();
        e.pattern_run(pattern, &PatternRun { session: name.clone(), goal: "a greeting".into(), set: None })
            .expect("run");
        e.coordinator_start(&name).expect("start");
        let deadline = started + Duration::from_secs(120);
        loop {
            let tasks = e.task_list(&name).expect("tasks");
            if tasks.iter().all(|t| t.state == baton_core::task::TaskState::Done) {
                break;
            }
            assert!(Instant::now() < deadline, "{pattern} never finished: {tasks:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
        let took = started.elapsed();
        e.coordinator_stop(&name).expect("stop");
        took
    };
    println!("shape       runs  median    min     max");
    let mut medians = Vec::new();
    for pattern in ["one", "row", "fan", "best"] {
        let mut times: Vec<f64> = (0..RUNS).map(|_| run(&e, pattern).as_secs_f64()).collect();
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        medians.push(median);
        println!("{pattern:<10} {RUNS:>5} {median:>7.2}s {:>6.2}s {:>6.2}s", times[0], times[times.len() - 1]);
    }
    println!(
        "best-of-5 / one alone: {:.2}x; best-of-5 / five in a row: {:.2}x; selection overhead: {:.2}s",
        medians[3] / medians[0],
        medians[3] / medians[1],
        medians[3] - medians[2]
    );
}
