//! The directory picker: a folder's subfolders as picker items, so a user
//! chooses where to open a working copy or save a case by walking the tree
//! rather than typing a path.

use std::path::{Path, PathBuf};

/// The first item: choose the folder shown.
const CHOOSE: &str = "✓ ";
/// The item that goes up one folder.
pub const PARENT: &str = "..";

/// The picker's items for `dir`: choose it (`choose` says what for), go up,
/// then each subfolder (hidden ones left out), bundles marked.
pub fn items(dir: &Path, choose: &str) -> Vec<String> {
    let mut out = vec![format!("{CHOOSE}{choose} {}", dir.display())];
    if dir.parent().is_some() {
        out.push(PARENT.to_string());
    }
    let mut subdirs: Vec<(String, bool)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    (!name.starts_with('.')).then(|| (name, is_bundle(&e.path())))
                })
                .collect()
        })
        .unwrap_or_default();
    subdirs.sort();
    out.extend(subdirs.into_iter().map(|(name, bundle)| {
        if bundle {
            format!("{name}/  (bundle)")
        } else {
            format!("{name}/")
        }
    }));
    out
}

/// What an item picked in `dir` means: the folder chosen, or the folder to
/// show next.
pub enum Picked {
    Chosen(PathBuf),
    Enter(PathBuf),
}

pub fn picked(dir: &Path, index: usize, item: &str) -> Picked {
    if index == 0 {
        return Picked::Chosen(dir.to_path_buf());
    }
    if item == PARENT {
        return Picked::Enter(dir.parent().unwrap_or(dir).to_path_buf());
    }
    let name = item.split("/  (bundle)").next().unwrap_or(item);
    Picked::Enter(dir.join(name.trim_end_matches('/')))
}

/// A folder with a `.manifest` or `.rego` files directly in it.
fn is_bundle(dir: &Path) -> bool {
    dir.join(".manifest").is_file()
        || std::fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .filter_map(|e| e.ok())
                .any(|e| e.path().extension().is_some_and(|x| x == "rego"))
        })
}

/// Where a directory picker starts: `hint` when it is a folder, else the
/// current directory.
pub fn start(hint: Option<&Path>) -> PathBuf {
    hint.filter(|p| p.is_dir())
        .map(Path::to_path_buf)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_choose_go_up_and_enter() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("b")).unwrap();
        std::fs::write(tmp.path().join("b/p.rego"), "package p").unwrap();
        std::fs::create_dir(tmp.path().join("a")).unwrap();
        std::fs::create_dir(tmp.path().join(".git")).unwrap();
        let items = items(tmp.path(), "open");
        assert_eq!(items[1..], ["..", "a/", "b/  (bundle)"]);
        assert!(matches!(picked(tmp.path(), 0, &items[0]), Picked::Chosen(p) if p == tmp.path()));
        assert!(
            matches!(picked(tmp.path(), 3, &items[3]), Picked::Enter(p) if p == tmp.path().join("b"))
        );
        assert!(
            matches!(picked(tmp.path(), 1, ".."), Picked::Enter(p) if Some(p.as_path()) == tmp.path().parent())
        );
    }
}
