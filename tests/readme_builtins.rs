//! The README's builtin table is `gavel builtins --format md`, so what the
//! README says Gavel has is what the code has.

mod common;

use common::Env;

#[test]
fn the_readme_builtin_table_is_the_commands_output() {
    let env = Env::new();
    let (code, table, err) = env.run(&["--format", "md", "builtins"]);
    assert_eq!(code, 0, "{err}");
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let start = readme
        .find("<!-- builtins:start -->\n")
        .expect("start marker")
        + 24;
    let end = readme.find("<!-- builtins:end -->").expect("end marker");
    assert_eq!(
        &readme[start..end],
        table,
        "README's builtin table is stale: paste `gavel --format md builtins` between the markers"
    );
    // Every builtin OPA has is in it, and each one Gavel lacks says why.
    assert!(table.lines().count() > 200, "{table}");
    for line in table.lines().filter(|l| l.contains("| **no** |")) {
        assert!(!line.ends_with("|  |"), "no reason given: {line}");
    }
}
