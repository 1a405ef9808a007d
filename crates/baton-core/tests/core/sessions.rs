use baton_core::session::{SessionCreate, SessionState, SessionUpdate};
use baton_core::{BatonHome, Engine, ErrorCode};

use crate::support::{git, repo_new};

fn engine() -> (tempfile::TempDir, Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let engine = Engine::open(BatonHome::at(tmp.path().join("home"))).unwrap();
    (tmp, engine)
}

fn create(
    engine: &Engine,
    repo: &std::path::Path,
    name: Option<&str>,
) -> baton_core::Result<baton_core::session::Session> {
    engine.session_create(&SessionCreate {
        repo: repo.to_string_lossy().into_owned(),
        name: name.map(Into::into),
        parent: None,
    })
}

#[test]
fn create_list_get_and_events() {
    let (tmp, engine) = engine();
    let repo = repo_new(tmp.path(), "my repo ü");
    let mut events = engine.events().subscribe();
    // A path inside the repository resolves to its root.
    std::fs::create_dir(repo.join("src")).unwrap();
    let s = create(&engine, &repo.join("src"), Some("feature x")).unwrap();
    assert!(s.id.starts_with("ses_"));
    assert_eq!(s.name, "feature x");
    assert_eq!(s.repo, repo.canonicalize().unwrap().to_string_lossy());
    assert_eq!(s.base_branch.as_deref(), Some("main"));
    assert_eq!(s.state, SessionState::Active);
    assert!(s.created_at.ends_with('Z'), "{}", s.created_at);

    assert_eq!(engine.session_list().unwrap(), vec![s.clone()]);
    assert_eq!(engine.session_get(&s.id).unwrap(), s);
    assert_eq!(engine.session_get("feature x").unwrap(), s);
    match events.try_recv().unwrap() {
        baton_core::events::EngineEvent::SessionCreated { session } => assert_eq!(session, s),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn default_names_come_from_the_folder_and_stay_unique() {
    let (tmp, engine) = engine();
    let repo = repo_new(tmp.path(), "shop");
    assert_eq!(create(&engine, &repo, None).unwrap().name, "shop");
    assert_eq!(create(&engine, &repo, None).unwrap().name, "shop-2");
    assert_eq!(create(&engine, &repo, None).unwrap().name, "shop-3");
}

#[test]
fn duplicate_name_is_refused() {
    let (tmp, engine) = engine();
    let repo = repo_new(tmp.path(), "r");
    create(&engine, &repo, Some("one")).unwrap();
    let err = create(&engine, &repo, Some(" one ")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DuplicateName);
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(engine.session_list().unwrap().len(), 1);
}

#[test]
fn a_folder_that_is_not_a_repository_is_refused() {
    let (tmp, engine) = engine();
    let plain = tmp.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let err = create(&engine, &plain, None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotAGitRepo);
    assert!(err.to_string().contains("git init"), "{err}");
    assert!(engine.session_list().unwrap().is_empty());
}

#[test]
fn a_missing_path_is_refused() {
    let (tmp, engine) = engine();
    let err = create(&engine, &tmp.path().join("nope"), None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PathNotFound);
    assert!(err.to_string().contains("does not exist"), "{err}");
    let empty = engine.session_create(&SessionCreate { repo: "  ".into(), name: None, parent: None }).unwrap_err();
    assert_eq!(empty.code(), ErrorCode::InvalidInput);
    assert!(empty.to_string().contains("no repository given"), "{empty}");
}

#[test]
fn a_bare_repository_is_refused() {
    let (tmp, engine) = engine();
    let bare = tmp.path().join("bare.git");
    std::fs::create_dir(&bare).unwrap();
    git(&bare, &["init", "-q", "--bare"]);
    let err = create(&engine, &bare, None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::BareRepo);
}

#[test]
fn a_file_is_refused() {
    let (tmp, engine) = engine();
    let repo = repo_new(tmp.path(), "r");
    let err = create(&engine, &repo.join("README.md"), None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

#[test]
fn detached_head_has_no_base_branch() {
    let (tmp, engine) = engine();
    let repo = repo_new(tmp.path(), "r");
    git(&repo, &["checkout", "-q", "--detach"]);
    assert_eq!(create(&engine, &repo, None).unwrap().base_branch, None);
}

#[test]
fn rename_and_archive() {
    let (tmp, engine) = engine();
    let repo = repo_new(tmp.path(), "r");
    let a = create(&engine, &repo, Some("a")).unwrap();
    create(&engine, &repo, Some("b")).unwrap();

    let renamed = engine
        .session_update(&a.id, &SessionUpdate { name: Some("c".into()), archived: None, ..Default::default() })
        .unwrap();
    assert_eq!(renamed.name, "c");
    let err = engine
        .session_update(&a.id, &SessionUpdate { name: Some("b".into()), archived: None, ..Default::default() })
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::DuplicateName);
    let err = engine
        .session_update(&a.id, &SessionUpdate { name: Some("  ".into()), archived: None, ..Default::default() })
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);

    let archived =
        engine.session_update("c", &SessionUpdate { name: None, archived: Some(true), ..Default::default() }).unwrap();
    assert_eq!(archived.state, SessionState::Archived);
    assert_eq!(engine.session_count().unwrap(), 1);
    let back =
        engine.session_update("c", &SessionUpdate { name: None, archived: Some(false), ..Default::default() }).unwrap();
    assert_eq!(back.state, SessionState::Active);

    let err = engine.session_get("nope").unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
}

#[test]
fn sessions_survive_reopening_the_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let home = BatonHome::at(tmp.path().join("home"));
    let repo = repo_new(tmp.path(), "r");
    let s = {
        let engine = Engine::open(home.clone()).unwrap();
        create(&engine, &repo, None).unwrap()
    };
    let engine = Engine::open(home).unwrap();
    assert_eq!(engine.session_list().unwrap(), vec![s]);
}
