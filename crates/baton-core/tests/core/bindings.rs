use std::collections::BTreeMap;
use std::path::Path;

fn read_dir_ts(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "ts"))
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read_to_string(e.path()).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn bindings_are_fresh() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings");
    if std::env::var_os("BATON_UPDATE_BINDINGS").is_some() {
        if committed.exists() {
            std::fs::remove_dir_all(&committed).expect("remove old bindings");
        }
        baton_core::bindings::bindings_export(&committed).expect("export");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    baton_core::bindings::bindings_export(tmp.path()).expect("export");
    let fresh = read_dir_ts(tmp.path());
    assert!(fresh.len() >= 9, "expected every API type to be exported, got {:?}", fresh.keys());
    assert_eq!(
        read_dir_ts(&committed),
        fresh,
        "ui/src/bindings is stale: run `BATON_UPDATE_BINDINGS=1 cargo test -p baton-core --test core bindings` and commit"
    );
}
