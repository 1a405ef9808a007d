//! The guided wizard on real repositories and a real store: facts shape the questions, answers
//! are checked, drafts survive a restart, plans are checked as templates are, a plan launches
//! once and can be saved as a pattern.

use std::path::Path;

use baton_core::session::SessionCreate;
use baton_core::wizard::plan::WizardPlan;
use baton_core::wizard::questions::QuestionKind;
use baton_core::wizard::{WizardLaunch, WizardReply, WizardStart, WizardState};
use baton_core::{BatonHome, Engine, ErrorCode};

use crate::support::git;

/// A repository with two languages in two folders, a package.json with a test script at the
/// top and a Cargo.toml in `core`; ignored and untracked files too.
pub fn repo_two_languages(parent: &Path) -> std::path::PathBuf {
    let dir = parent.join("shop");
    let files: &[(&str, &str)] = &[
        (
            "package.json",
            r#"{"name": "shop", "scripts": {"test": "vitest run", "test:e2e": "playwright test", "build": "vite build", "dev": "vite"}}"#,
        ),
        ("web/app.ts", "export const a = 1;\n"),
        ("web/cart.ts", "export const b = 2;\n"),
        ("web/index.html", "<html></html>\n"),
        ("core/Cargo.toml", "[package]\nname = \"core\"\nversion = \"0.1.0\"\n"),
        ("core/src/lib.rs", "pub fn f() {}\n"),
        (".gitignore", "node_modules/\n"),
        ("node_modules/left-pad/index.js", "module.exports = 1;\n"),
    ];
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "."]);
    git(&dir, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "Add the shop"]);
    std::fs::write(dir.join("web/draft.ts"), "// untracked\n").unwrap();
    dir
}

fn engine_on(tmp: &Path) -> Engine {
    Engine::open(BatonHome::at(tmp.join("home"))).unwrap()
}

fn setup() -> (tempfile::TempDir, Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_two_languages(tmp.path());
    let e = engine_on(tmp.path());
    e.session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    (tmp, e)
}

fn reply(words: &[&str]) -> WizardReply {
    WizardReply { answers: words.iter().map(|w| (*w).to_owned()).collect() }
}

fn start(e: &Engine) -> baton_core::wizard::Wizard {
    e.wizard_start(&WizardStart { session: "s".into(), goal: "add a discount code".into(), engine: None, cli: None })
        .unwrap()
}

#[test]
fn facts_name_the_folders_and_the_test_command_the_questions_offer() {
    let (_tmp, e) = setup();
    let w = start(&e);
    let f = &w.facts;
    assert_eq!(f.branch.as_deref(), Some("main"));
    assert_eq!(f.recent_commits, ["Add the shop"]);
    assert_eq!(f.uncommitted, 1, "the untracked draft");
    assert_eq!(f.files, 8, "node_modules is ignored; the untracked file counts: {f:?}");
    let langs: Vec<(&str, u32)> = f.languages.iter().map(|l| (l.language.as_str(), l.files)).collect();
    assert_eq!(langs, [("TypeScript", 3), ("HTML", 1), ("Rust", 1)]);
    let folders: Vec<(&str, Option<&str>, u32)> =
        f.folders.iter().map(|d| (d.path.as_str(), d.language.as_deref(), d.files)).collect();
    assert_eq!(folders, [("web", Some("TypeScript"), 4), ("core", Some("Rust"), 2)]);
    assert_eq!(f.test_commands(), ["npm test", "npm run test:e2e", "cd core && cargo test"]);

    let q = w.question.clone().unwrap();
    assert_eq!((q.id.as_str(), q.position, q.at_most), ("done", 1, 7));
    assert!(!q.why.is_empty());
    let w = e.wizard_answer(&w.id, &reply(&["The code applies a discount at checkout"])).unwrap();
    let q = w.question.unwrap();
    assert_eq!((q.id.as_str(), q.kind), ("scope", QuestionKind::Folders));
    let options: Vec<(&str, Option<&str>, bool)> =
        q.options.iter().map(|o| (o.label.as_str(), o.detail.as_deref(), o.recommended)).collect();
    assert_eq!(options, [("web", Some("TypeScript, 4 files"), true), ("core", Some("Rust, 2 files"), false)]);
    let w = e.wizard_answer(&w.id, &reply(&["1", "core"])).unwrap();
    let w = e.wizard_answer(&w.id, &reply(&[])).unwrap(); // risks: the recommended one
    assert_eq!(w.answers[2].values, ["Public interfaces"]);
    let q = w.question.unwrap();
    assert_eq!(q.id, "verify");
    let rec: Vec<&str> = q.options.iter().filter(|o| o.recommended).map(|o| o.label.as_str()).collect();
    assert_eq!(rec, ["npm test"], "{:?}", q.options);
    assert!(q.options.iter().any(|o| o.label == "cd core && cargo test"));
    assert!(q.options.iter().any(|o| o.label == "npm run test:e2e"));
    assert_eq!(q.options.last().unwrap().label, "No automated check");
}

#[test]
fn a_part_with_one_test_command_is_checked_by_it_and_a_few_parts_are_not_asked_how_many_agents() {
    let (_tmp, e) = setup();
    let w = start(&e);
    let w = e.wizard_answer(&w.id, &reply(&["Done when it works"])).unwrap();
    // Only `core`: its one test command is how to check it (the top's two are not its own).
    let w = e.wizard_answer(&w.id, &reply(&["core"])).unwrap();
    let w = e.wizard_answer(&w.id, &reply(&[])).unwrap(); // risks
    let q = w.question.clone().unwrap();
    assert_eq!(q.id, "review", "neither how to check nor how many agents is asked");
    let verify = w.answers.iter().find(|a| a.question == "verify").unwrap();
    assert!(verify.auto);
    assert_eq!(verify.values, ["cd core && cargo test"]);
    let parallelism = w.answers.iter().find(|a| a.question == "parallelism").unwrap();
    assert_eq!((parallelism.auto, parallelism.values.as_slice()), (true, &["1".to_owned()][..]));
    let w = e.wizard_answer(&w.id, &reply(&[])).unwrap(); // review
    let w = e.wizard_answer(&w.id, &reply(&[])).unwrap(); // merge
    assert!(w.question.is_none() && w.plan.is_some());
    assert_eq!(w.answers.iter().filter(|a| !a.auto).count(), 5, "five questions asked");
}

#[test]
fn a_single_folder_repository_is_not_asked_its_scope() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = crate::support::repo_new(tmp.path(), "tiny"); // README.md only: no folder
    let e = engine_on(tmp.path());
    e.session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    let w = start(&e);
    let w = e.wizard_answer(&w.id, &reply(&[])).unwrap(); // done: the default text
    assert!(w.answers[0].values[0].contains("existing tests"), "{:?}", w.answers);
    assert!(w.answers[1].auto && w.answers[1].question == "scope", "{:?}", w.answers);
    assert_eq!(w.question.unwrap().id, "risks");
    // No test command declared: verify is answered; one part: parallelism too.
    let w = e.wizard_answer(&w.id, &reply(&["4"])).unwrap();
    let auto: Vec<&str> = w.answers.iter().filter(|a| a.auto).map(|a| a.question.as_str()).collect();
    assert_eq!(auto, ["scope", "verify", "parallelism"]);
    let q = w.question.unwrap();
    assert_eq!((q.id.as_str(), q.position, q.at_most), ("review", 3, 4));
}

#[test]
fn bad_input_is_refused_with_what_to_do() {
    let (tmp, e) = setup();
    let err =
        e.wizard_start(&WizardStart { session: "s".into(), goal: "  ".into(), engine: None, cli: None }).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("goal is empty; say what you want done"), "{err}");
    let err = e.wizard_get("wiz_nope").unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert!(e.wizard_answer("wiz_nope", &reply(&["x"])).is_err());

    let w = start(&e);
    let w = e.wizard_answer(&w.id, &reply(&["works"])).unwrap();
    let err = e.wizard_answer(&w.id, &reply(&["api"])).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("\"api\" is not one of the options: 1. web, 2. core"), "{err}");
    let err = e.wizard_answer(&w.id, &reply(&["3"])).unwrap_err();
    assert!(err.to_string().contains("not one of the options"), "{err}");
    let err = e.wizard_back(&e.wizard_back(&w.id).unwrap().id).unwrap_err();
    assert!(err.to_string().contains("first question"), "{err}");

    // A user's graph of the same name wins, and its typo is named with file, line and field.
    let dir = tmp.path().join("home/templates/wizard");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("mine.toml"),
        "name = \"guided\"\n\n[[questions]]\nid = \"a\"\ntext = \"t\"\nwhy = \"w\"\nkind = \"text\"\ndefualt = \"x\"\n",
    )
    .unwrap();
    let err =
        e.wizard_start(&WizardStart { session: "s".into(), goal: "g".into(), engine: None, cli: None }).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidSettings);
    let msg = err.to_string();
    assert!(msg.contains("mine.toml, line 8") && msg.contains("defualt"), "{msg}");
    std::fs::write(
        dir.join("mine.toml"),
        "name = \"guided\"\n\n[[questions]]\nid = \"a\"\ntext = \"Why?\"\nwhy = \"w\"\nkind = \"text\"\ndefault = \"x\"\n\n[[plan.tasks]]\nname = \"t\"\ntitle = \"T\"\nprompt = \"{goal}: {a}\"\n",
    )
    .unwrap();
    let w = e.wizard_start(&WizardStart { session: "s".into(), goal: "g".into(), engine: None, cli: None }).unwrap();
    assert_eq!(w.question.unwrap().text, "Why?");
    let w = e.wizard_answer(&w.id, &reply(&[])).unwrap();
    assert_eq!(w.plan.unwrap().tasks[0].prompt, "{goal}: x", "the goal is filled at launch");
}

/// Answers every question of the shipped graph on the two-folder repository.
fn answered(e: &Engine) -> baton_core::wizard::Wizard {
    let w = start(e);
    let mut w = e.wizard_answer(&w.id, &reply(&["Codes apply at checkout"])).unwrap();
    // How many agents is not asked: two parts, one agent each.
    for r in [&["web", "core"][..], &["Stored data"], &[], &["Codex, up to 3 rounds"], &[]] {
        w = e.wizard_answer(&w.id, &reply(r)).unwrap();
    }
    assert!(w.question.is_none(), "{:?}", w.question);
    w
}

#[test]
fn plans_are_checked_as_templates_are_and_launch_once() {
    let (_tmp, e) = setup();
    let w = answered(&e);
    let plan: WizardPlan = w.plan.clone().unwrap();
    let names: Vec<&str> = plan.tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["spec", "implement-web", "implement-core", "review-web", "review-core"]);
    assert_eq!(plan.concurrency, 2);
    assert!(!plan.auto_merge);
    let err = e.wizard_answer(&w.id, &reply(&["1"])).unwrap_err();
    assert!(err.to_string().contains("every question is answered"), "{err}");

    let mut cyclic = plan.clone();
    cyclic.tasks[0].after = vec!["review-core".into()];
    let err = e.wizard_plan_set(&w.id, &cyclic).unwrap_err().to_string();
    assert!(err.contains("tasks: the tasks depend on each other in a cycle"), "{err}");
    let mut unknown = plan.clone();
    unknown.tasks[2].role = Some("tester".into());
    let err = e.wizard_plan_set(&w.id, &unknown).unwrap_err();
    assert!(err.to_string().contains("tasks[2].role: unknown role \"tester\""), "{err}");
    // Clients get the field apart, to show the message beside it.
    assert_eq!(err.to_api().field.as_deref(), Some("tasks[2].role"));
    assert_eq!(e.wizard_answer("wiz_none", &reply(&[])).unwrap_err().to_api().field, None);
    let mut dangling = plan.clone();
    dangling.tasks[1].after = vec!["x".into()];
    let err = e.wizard_plan_set(&w.id, &dangling).unwrap_err().to_string();
    assert!(err.contains("tasks[1].after: unknown task \"x\""), "{err}");

    // An edit: the core part and its review go; the web review runs on Gemini.
    let mut edited = plan.clone();
    edited.tasks.retain(|t| !t.name.ends_with("-core"));
    edited.agents.iter_mut().find(|a| a.role == "reviewer").unwrap().cli =
        Some(baton_core::agent::protocol::CliKind::Gemini);
    let w = e.wizard_plan_set(&w.id, &edited).unwrap();
    assert_eq!(w.plan.as_ref().unwrap().tasks.len(), 3);

    let launched = e.wizard_launch(&w.id, &WizardLaunch { run: false }).unwrap();
    assert_eq!(launched.wizard.state, WizardState::Launched);
    assert!(!launched.running);
    let tasks = e.task_list("s").unwrap();
    let states: Vec<(&str, &str)> = tasks.iter().map(|t| (t.name.as_str(), t.state.as_str())).collect();
    assert_eq!(states, [("spec", "ready"), ("implement-web", "pending"), ("review-web", "pending")]);
    let review = &tasks[2];
    assert_eq!(review.cli, Some(baton_core::agent::protocol::CliKind::Gemini));
    assert_eq!(review.reviews.as_deref(), Some(tasks[1].id.as_str()));
    assert!(review.prompt.starts_with("You are the reviewer."), "{}", review.prompt);
    let status = e.session_status("s").unwrap();
    assert_eq!(status.objectives.len(), 1);
    assert_eq!(status.objectives[0].text, "add a discount code");
    let decisions: Vec<(&str, &str)> =
        status.decisions.iter().map(|d| (d.question.as_str(), d.answer.as_deref().unwrap())).collect();
    assert_eq!(decisions.len(), 7, "{decisions:?}");
    assert!(decisions.contains(&("What must not break?", "Stored data")), "{decisions:?}");
    assert!(decisions.contains(&("How is the work checked?", "npm test")), "{decisions:?}");
    assert_eq!(status.session.settings.max_agents, Some(2));

    let err = e.wizard_launch(&w.id, &WizardLaunch { run: false }).unwrap_err();
    assert!(err.to_string().contains("is launched"), "{err}");
    assert_eq!(e.task_list("s").unwrap().len(), 3, "nothing added twice");
    assert!(e.wizard_discard(&w.id).is_err());
}

#[test]
fn a_draft_survives_a_restart_and_is_resumed_or_discarded() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_two_languages(tmp.path());
    let id = {
        let e = engine_on(tmp.path());
        e.session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
            .unwrap();
        let w = start(&e);
        let w = e.wizard_answer(&w.id, &reply(&["It works"])).unwrap();
        let w = e.wizard_answer(&w.id, &reply(&["web"])).unwrap();
        assert_eq!(w.question.as_ref().unwrap().id, "risks");
        e.close();
        w.id
    };
    let e = engine_on(tmp.path());
    let w = e.wizard_get(&id).unwrap();
    assert_eq!(w.state, WizardState::Draft);
    assert_eq!(w.answers.len(), 2);
    assert_eq!(w.question.as_ref().unwrap().id, "risks");
    assert_eq!(e.wizard_list("s").unwrap().iter().map(|w| w.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);
    let w = e.wizard_back(&id).unwrap();
    assert_eq!(w.question.unwrap().id, "scope");
    let w = e.wizard_discard(&id).unwrap();
    assert_eq!(w.state, WizardState::Discarded);
    let err = e.wizard_answer(&id, &reply(&["web"])).unwrap_err();
    assert!(err.to_string().contains("is discarded"), "{err}");
}

#[test]
fn a_plan_saved_as_a_pattern_is_listed_and_runs_for_another_goal() {
    let (_tmp, e) = setup();
    let w = answered(&e);
    let info = e.wizard_save_pattern(&w.id, "checkout-work").unwrap();
    assert_eq!(info.tasks, ["spec", "implement-web", "implement-core", "review-web", "review-core"]);
    assert!(e.pattern_list().unwrap().iter().any(|p| p.name == "checkout-work"));
    let err = e.wizard_save_pattern(&w.id, "checkout-work").unwrap_err();
    assert_eq!(err.code(), ErrorCode::DuplicateName);
    assert!(err.to_string().contains("exists"), "{err}");
    assert!(e.wizard_save_pattern(&w.id, "../x").is_err());
    let tasks = e
        .pattern_run(
            "checkout-work",
            &baton_core::pattern::PatternRun { session: "s".into(), goal: "add gift cards".into(), set: None },
        )
        .unwrap();
    assert_eq!(tasks[0].title, "Specify: add gift cards");
}

/// Answers each question asked with the words given for its id, or its recommended answer.
fn answer_by_id(
    e: &Engine,
    mut w: baton_core::wizard::Wizard,
    words: &[(&str, &[&str])],
) -> baton_core::wizard::Wizard {
    while let Some(q) = &w.question {
        let given = words.iter().find(|(id, _)| *id == q.id).map_or(&[][..], |(_, w)| *w);
        w = e.wizard_answer(&w.id, &reply(given)).unwrap();
    }
    w
}

#[test]
fn a_goal_and_answers_with_braces_launch_and_save_exactly() {
    let (tmp, e) = setup();
    // `test` is also a word of the prompts: saving must not turn those into `{goal}`.
    let goal = "test";
    let w = e.wizard_start(&WizardStart { session: "s".into(), goal: goal.into(), engine: None, cli: None }).unwrap();
    let w = answer_by_id(&e, w, &[("done", &["the {legacy} flag still works"]), ("scope", &["web"])]);
    let plan = w.plan.clone().unwrap();
    assert!(plan.tasks[0].prompt.contains("{goal}") && plan.tasks[0].prompt.contains("{legacy}"));

    let err = e.wizard_save_pattern(&w.id, "saved").unwrap_err().to_string();
    assert!(err.contains("{legacy}") && err.contains("drop the braces"), "{err}");
    assert!(!tmp.path().join("home/templates/saved.toml").exists());
    let mut edited = plan.clone();
    for t in &mut edited.tasks {
        t.prompt = t.prompt.replace("{legacy}", "legacy");
    }
    let w = e.wizard_plan_set(&w.id, &edited).unwrap();
    e.wizard_save_pattern(&w.id, "saved").unwrap();
    let saved = std::fs::read_to_string(tmp.path().join("home/templates/saved.toml")).unwrap();
    assert!(saved.contains("npm test"), "{saved}");
    assert!(!saved.contains("npm {goal}"), "{saved}");

    let w = e.wizard_plan_set(&w.id, &plan).unwrap();
    e.wizard_launch(&w.id, &WizardLaunch { run: false }).unwrap();
    let spec = &e.task_list("s").unwrap()[0];
    assert!(spec.prompt.contains("test") && !spec.prompt.contains("{goal}"), "{}", spec.prompt);
    assert!(spec.prompt.contains("the {legacy} flag still works"), "{}", spec.prompt);
}

#[test]
fn folders_whose_names_look_alike_or_like_numbers_each_get_their_part() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo_two_languages(tmp.path());
    for folder in ["my app", "my-app", "2", "Web"] {
        std::fs::create_dir_all(repo.join(folder)).unwrap();
        std::fs::write(repo.join(folder).join("main.py"), "print(1)\n").unwrap();
    }
    let e = engine_on(tmp.path());
    e.session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: Some("s".into()), parent: None })
        .unwrap();
    let w = start(&e);
    let w = e.wizard_answer(&w.id, &reply(&["works"])).unwrap();
    assert_eq!(w.question.as_ref().unwrap().id, "scope");
    // `2` is a folder's name: the name wins over the second option.
    let w = e.wizard_answer(&w.id, &reply(&["my app", "my-app", "2", "Web", "web"])).unwrap();
    assert_eq!(w.answers[1].values, ["my app", "my-app", "2", "Web", "web"]);
    let w = answer_by_id(&e, w, &[]);
    let plan = w.plan.unwrap();
    let names: Vec<&str> = plan.tasks.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"implement-my-app") && names.contains(&"implement-my-app-2"), "{names:?}");
    assert!(names.contains(&"implement-2") && names.contains(&"review-my-app-2"), "{names:?}");
    assert!(names.contains(&"implement-web") && names.contains(&"implement-web-2"), "{names:?}");
    let review = plan.tasks.iter().find(|t| t.name == "review-my-app-2").unwrap();
    assert_eq!(review.reviews.as_deref(), Some("implement-my-app-2"));
}

/// The measure of issue 12: how many questions the guided engine asks on five example goals, on
/// two repositories the test makes (two folders with two test commands; one folder with one),
/// every question answered with its recommended option (a text question with a sentence). No
/// question asked may be one the facts answer. Prints the table `docs/perf.md` records:
/// `cargo nextest run -p baton-core --test core wizard_questions --no-capture`.
#[test]
fn wizard_questions_on_five_goals_none_the_facts_answer() {
    let goals = [
        "add discount codes at checkout",
        "fix the flaky cart total test",
        "rename the core crate to engine",
        "add a dark theme to the web app",
        "document the public API",
    ];
    let tmp = tempfile::tempdir().unwrap();
    let two = repo_two_languages(tmp.path());
    // One test command per part: the top's `npm test` (for `web`, which has no manifest of its
    // own) and `core`'s `cargo test`.
    std::fs::write(
        two.join("package.json"),
        r#"{"name": "shop", "scripts": {"test": "vitest run", "build": "vite build"}}"#,
    )
    .unwrap();
    git(&two, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "One test script"]);
    let one = tmp.path().join("lib");
    for (path, text) in [("Makefile", "test:\n\tcargo test\n"), ("src/lib.rs", "pub fn f() {}\n")] {
        std::fs::create_dir_all(one.join(path).parent().unwrap()).unwrap();
        std::fs::write(one.join(path), text).unwrap();
    }
    git(&one, &["init", "-q", "-b", "main"]);
    git(&one, &["add", "."]);
    git(&one, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "init"]);
    let e = engine_on(tmp.path());
    println!("| repository | goal | asked | answered by the facts | questions asked |");
    println!("|---|---|---|---|---|");
    for (name, repo) in [("shop (web + core, 2 test commands)", &two), ("lib (src, 1 test command)", &one)] {
        let session =
            e.session_create(&SessionCreate { repo: repo.to_string_lossy().into(), name: None, parent: None }).unwrap();
        for goal in goals {
            let mut w = e
                .wizard_start(&WizardStart { session: session.id.clone(), goal: goal.into(), engine: None, cli: None })
                .unwrap();
            let mut asked = Vec::new();
            while let Some(q) = w.question.clone() {
                // A question the facts answer is never asked.
                match q.id.as_str() {
                    "scope" => assert!(w.facts.folders.len() > 1, "{goal}: scope asked of {:?}", w.facts.folders),
                    "verify" => assert!(w.facts.test_commands().len() > 1, "{goal}: verify asked"),
                    "parallelism" => {
                        let parts = w.answers.iter().find(|a| a.question == "scope").map_or(0, |a| a.values.len());
                        assert!(parts > 1, "{goal}: parallelism asked for one part");
                    }
                    _ => {}
                }
                asked.push(q.id.clone());
                let words: &[&str] = if q.kind == QuestionKind::Text { &["It works and its tests pass"] } else { &[] };
                w = e.wizard_answer(&w.id, &reply(words)).unwrap();
            }
            assert!(w.plan.is_some());
            assert!(asked.len() <= 7, "{asked:?}");
            let auto: Vec<&str> = w.answers.iter().filter(|a| a.auto).map(|a| a.question.as_str()).collect();
            println!("| {name} | {goal} | {} | {} | {} |", asked.len(), auto.join(", "), asked.join(", "));
        }
    }
}
