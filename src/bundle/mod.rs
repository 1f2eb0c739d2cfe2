//! A bundle as OPA lays it out: Rego modules, data files, an optional
//! `.manifest`, a `capabilities.json` declaring host builtins, and Gavel's
//! `cases/*.json`. A bundle is read from a directory
//! on import and rebuilt from stored files afterwards, so everything here
//! works on file texts in memory.

pub mod catalog;
pub mod data;
pub mod export;
pub mod manifest;
pub mod metadata;
pub mod revision;
pub mod signing;

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
pub use catalog::{Catalog, ModuleInfo, RuleInfo, RuleKind};
pub use manifest::Manifest;
pub use metadata::{Annotation, Citation, RelatedResource};

/// The largest bundle file read. regorus's own limit for a `.rego` file is
/// 1 MiB.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The memory one read of a bundle (an import, `gavel test DIR`) may plan
/// for, checked from the files' sizes before any is read (see
/// [`read_cost`]).
pub const READ_BUDGET: u64 = 1 << 30;

/// What reading a bundle is expected to take beyond its files' text: the
/// process, the store's page cache (64 MiB).
const READ_OVERHEAD: u64 = 96 << 20;

/// How many times its size a YAML data file takes while it is read: the
/// YAML reader holds every event of the document with its position
/// (measured: 30 times for 58 MB of records in block style, 60 for a flow
/// list of small numbers, 104 for a list of one-key mappings).
pub const YAML_READ_FACTOR: u64 = 128;

/// The memory a bundle's files are expected to take while they are read,
/// checked, and stored: every file's text, held whole (a version is
/// stored and hashed as its files), and the most any one file needs on
/// top of that: three times its size while it is stored (SQLite's copy of
/// the value, the row it builds, and a stored row beside it that it reads
/// whole to find the new row's place: `blobs` is a WITHOUT ROWID table),
/// or, for a YAML data file, [`YAML_READ_FACTOR`] times its size while it
/// is read. JSON data is read for its object keys only, whatever its shape
/// (bundle/data.rs). Measured (debug build): one 60 MB JSON data file
/// imports with a peak RSS of 280 MB, three with 460 MB.
pub fn read_cost(files: impl IntoIterator<Item = (u64, bool)>) -> u64 {
    let (mut held, mut transient) = (0u64, 0u64);
    for (size, yaml_data) in files {
        held = held.saturating_add(size);
        let factor = if yaml_data { YAML_READ_FACTOR } else { 3 };
        transient = transient.max(size.saturating_mul(factor));
    }
    READ_OVERHEAD.saturating_add(held).saturating_add(transient)
}

/// What a file is to Gavel. Files of no kind are not part of a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Manifest,
    Module,
    Data,
    Cases,
    /// `capabilities.json` at the root: the host builtins the modules call
    /// (engine/capabilities.rs).
    Capabilities,
}

/// Which JSON/YAML files are data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFiles {
    /// Bundle semantics: only `data.json` / `data.yaml` / `data.yml`.
    Bundle,
    /// `opa test DIR` without bundle mode: every `*.json` / `*.yaml` /
    /// `*.yml` (except Gavel's `cases/*.json` and the manifest).
    All,
}

impl FileKind {
    /// The kind of a path under the given data-file rule.
    pub fn of_with(path: &str, data: DataFiles) -> Option<FileKind> {
        match FileKind::of(path) {
            None if data == DataFiles::All
                && [".json", ".yaml", ".yml"].iter().any(|e| path.ends_with(e))
                && !path.rsplit('/').next().unwrap_or(path).starts_with('.') =>
            {
                Some(FileKind::Data)
            }
            other => other,
        }
    }

    /// The kind of a bundle-relative path (with `/` separators), if any.
    pub fn of(path: &str) -> Option<FileKind> {
        let name = path.rsplit('/').next().unwrap_or(path);
        if path == ".manifest" {
            Some(FileKind::Manifest)
        } else if path == "capabilities.json" {
            Some(FileKind::Capabilities)
        } else if name.ends_with(".rego") {
            Some(FileKind::Module)
        } else if matches!(name, "data.json" | "data.yaml" | "data.yml") {
            Some(FileKind::Data)
        } else if path.starts_with("cases/")
            && name.ends_with(".json")
            && path.matches('/').count() == 1
        {
            Some(FileKind::Cases)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Manifest => "manifest",
            FileKind::Module => "module",
            FileKind::Data => "data",
            FileKind::Cases => "cases",
            FileKind::Capabilities => "capabilities",
        }
    }
}

/// One file of a bundle, with its full text (replay and diff need the exact
/// source) and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// Relative to the bundle root, `/`-separated.
    pub path: String,
    pub kind: FileKind,
    pub text: String,
    /// Lowercase hex SHA-256 of the text's bytes.
    pub sha256: String,
}

impl BundleFile {
    pub fn new(path: String, kind: FileKind, text: String) -> BundleFile {
        let sha256 = hex::encode(Sha256::digest(text.as_bytes()));
        BundleFile {
            path,
            kind,
            text,
            sha256,
        }
    }

    /// `*_test.rego`: tests, part of the version and its hash, not of the
    /// decision logic.
    pub fn is_test_module(&self) -> bool {
        self.kind == FileKind::Module && self.path.ends_with("_test.rego")
    }
}

/// A bundle in memory: its manifest and its files, sorted by path.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub manifest: Manifest,
    pub files: Vec<BundleFile>,
    /// Files in the directory that are not part of the bundle (shown to the
    /// user so that nothing is dropped silently).
    pub ignored: Vec<String>,
    /// What the user should know about how the directory was read
    /// (`path: why`, bundle-relative): symlinks followed.
    pub notes: Vec<String>,
    /// Path prefixes under which whole bundles were combined: a data file's
    /// data path is its directory relative to its prefix.
    pub mounts: Vec<String>,
}

/// Which symlinks in a directory are followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Those that stay inside the directory (a bundle to store): one that
    /// leads out of it is refused, where a file it leads to would be read.
    Inside,
    /// All, wherever they lead, as `opa test DIR` follows them (a
    /// directory to test, which is not stored).
    Anywhere,
}

impl Bundle {
    /// Reads a bundle directory to store it. Hidden files and directories
    /// other than `.manifest` are skipped, as OPA does; symlinks are
    /// followed while they stay inside the directory (one that leads out of
    /// it is refused), and a symlink loop is an error; a file name that is
    /// not UTF-8 is refused.
    pub fn read_dir(dir: &Path) -> Result<Bundle> {
        Self::read_dir_with(dir, DataFiles::Bundle)
    }

    /// Reads a bundle directory with the given rule for data files.
    pub fn read_dir_with(dir: &Path, data: DataFiles) -> Result<Bundle> {
        let bundle = Self::read_dir_files_with(dir, data, Links::Inside)?;
        if !bundle.files.iter().any(|f| f.kind == FileKind::Module) {
            return Err(Error::Invalid(format!(
                "{}: no .rego files: not a bundle",
                dir.display()
            )));
        }
        Ok(bundle)
    }

    /// One file given to `gavel test` beside directories, as `opa test`
    /// takes one (`opa test data.yml policy/`): a module or a data file,
    /// at the root of its own part.
    pub fn read_file(file: &Path) -> Result<Bundle> {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let kind = FileKind::of_with(&name, DataFiles::All).ok_or_else(|| {
            Error::Invalid(format!(
                "{}: not a .rego, .json or .yaml file",
                file.display()
            ))
        })?;
        let text = read_text_file(file, kind)?;
        let manifest = match kind {
            FileKind::Manifest => Manifest::parse(&text)
                .map_err(|m| Error::Invalid(format!("{}:{m}", file.display())))?,
            _ => Manifest::default(),
        };
        Ok(Bundle {
            manifest,
            files: vec![BundleFile::new(name, kind, text)],
            ignored: Vec::new(),
            notes: Vec::new(),
            mounts: Vec::new(),
        })
    }

    /// A directory's files, whether or not it holds a module (`opa test`
    /// takes a directory of data files beside the policy's), every symlink
    /// followed as `opa test DIR` follows them.
    pub fn read_dir_files(dir: &Path, data: DataFiles) -> Result<Bundle> {
        Self::read_dir_files_with(dir, data, Links::Anywhere)
    }

    /// A directory's files: listed first (names, symlinks, sizes, the
    /// memory budget checked), then read.
    pub fn read_dir_files_with(dir: &Path, data: DataFiles, links: Links) -> Result<Bundle> {
        let meta = std::fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
        if !meta.is_dir() {
            return Err(Error::Invalid(format!(
                "{}: not a directory (a bundle is a directory of .rego files)",
                dir.display()
            )));
        }
        let root = std::fs::canonicalize(dir).map_err(|e| Error::io(dir, e))?;
        let mut listed: Vec<(std::path::PathBuf, String, FileKind, u64)> = Vec::new();
        let mut ignored = Vec::new();
        let mut notes = Vec::new();
        let walker = walkdir::WalkDir::new(dir)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0 || !is_hidden(e.file_name()) || e.file_name() == ".manifest"
            });
        for entry in walker {
            let entry = entry.map_err(|e| walk_error(dir, e))?;
            let is_dir = entry.file_type().is_dir();
            // The directory itself may be reached through a symlink.
            let link = entry.depth() > 0 && entry.path_is_symlink();
            // Files, and symlinked directories (checked, then walked).
            let wanted = entry.file_type().is_file() || (is_dir && link);
            if !wanted {
                continue;
            }
            let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
            let Some(rel) = utf8_path(relative) else {
                // Stored as text, a name that is not UTF-8 could only be
                // stored changed (two such names as one).
                let shown = format!("{}/{}", escaped_path(dir), escaped_path(relative));
                let rel_shown = escaped_path(relative);
                let lossy = relative.to_string_lossy().replace('\\', "/");
                if is_dir || FileKind::of_with(&lossy, data).is_some() {
                    return Err(Error::input(
                        shown,
                        "the name is not UTF-8 (its bytes shown as \\xNN): a bundle's paths are \
                         stored as text, so rename it",
                    ));
                }
                ignored.push(rel_shown);
                continue;
            };
            let kind = if is_dir {
                None
            } else {
                FileKind::of_with(&rel, data)
            };
            if link {
                let target =
                    std::fs::canonicalize(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
                let inside = target.starts_with(&root);
                if links == Links::Inside && !inside && (is_dir || kind.is_some()) {
                    return Err(Error::input(
                        entry.path().display().to_string(),
                        format!(
                            "a symlink to {}, outside the bundle: a version holds only the \
                             bundle's own files (copy the file into the bundle)",
                            target.display()
                        ),
                    ));
                }
                if is_dir || kind.is_some() {
                    let to = target
                        .strip_prefix(&root)
                        .map(|t| t.display().to_string())
                        .unwrap_or_else(|_| target.display().to_string());
                    notes.push(format!(
                        "{rel}: a symlink to {to}, read as the bundle's own {} (`opa build -b` \
                         leaves symlinks out unless --follow-symlinks)",
                        if is_dir { "directory" } else { "file" }
                    ));
                }
            }
            if is_dir {
                continue;
            }
            let Some(kind) = kind else {
                ignored.push(rel);
                continue;
            };
            let size = entry.metadata().map_err(|e| walk_error(dir, e))?.len();
            listed.push((entry.into_path(), rel, kind, size));
        }
        // The budget, from the sizes alone: the file that would pass it is
        // named before any file is read.
        let mut sizes = Vec::with_capacity(listed.len());
        for (path, rel, kind, size) in &listed {
            if *size > MAX_FILE_BYTES {
                return Err(too_big(path, *size));
            }
            sizes.push((*size, *kind == FileKind::Data && !rel.ends_with(".json")));
            let cost = read_cost(sizes.iter().copied());
            if cost > READ_BUDGET {
                let before: u64 = sizes[..sizes.len() - 1].iter().map(|(s, _)| s).sum();
                return Err(Error::input(
                    path.display().to_string(),
                    format!(
                        "{size} bytes{}: reading it with the bundle's other files ({} MiB before it) \
                         would take about {} MiB, over Gavel's budget of {} MiB for reading a bundle",
                        if sizes.last().is_some_and(|(_, yaml)| *yaml) {
                            format!(
                                " of YAML data (read at about {YAML_READ_FACTOR} times its size; \
                                 converted to data.json, for example with `yq -o json`, it would take 3)"
                            )
                        } else {
                            String::new()
                        },
                        before >> 20,
                        cost >> 20,
                        READ_BUDGET >> 20
                    ),
                ));
            }
        }
        let mut files = Vec::with_capacity(listed.len());
        for (path, rel, kind, _) in listed {
            let text = read_text_file(&path, kind)?;
            files.push(BundleFile::new(rel, kind, text));
        }
        let manifest = match files.iter().find(|f| f.kind == FileKind::Manifest) {
            Some(f) => Manifest::parse(&f.text)
                .map_err(|m| Error::Invalid(format!("{}/.manifest:{m}", dir.display())))?,
            None => Manifest::default(),
        };
        Ok(Bundle {
            manifest,
            files,
            ignored,
            notes,
            mounts: Vec::new(),
        })
    }

    /// Several bundles as one, as `opa test dir1 dir2` loads them: every
    /// file's path is prefixed with its bundle's label (the directory as the
    /// user gave it), data stays at its own bundle's paths, and the first
    /// manifest is kept.
    pub fn combine(parts: Vec<(String, Bundle)>) -> Bundle {
        let mut combined = Bundle {
            manifest: parts
                .first()
                .map(|(_, b)| b.manifest.clone())
                .unwrap_or_default(),
            files: Vec::new(),
            ignored: Vec::new(),
            notes: Vec::new(),
            mounts: Vec::new(),
        };
        for (label, bundle) in parts {
            let label = label.trim_end_matches('/').to_string();
            for mut f in bundle.files {
                f.path = format!("{label}/{}", f.path);
                combined.files.push(f);
            }
            combined
                .ignored
                .extend(bundle.ignored.into_iter().map(|p| format!("{label}/{p}")));
            combined
                .notes
                .extend(bundle.notes.into_iter().map(|p| format!("{label}/{p}")));
            combined.mounts.push(label);
        }
        combined.files.sort_by(|a, b| a.path.cmp(&b.path));
        combined
    }

    /// A data file's path relative to the bundle it came from.
    pub fn data_relative<'a>(&self, path: &'a str) -> &'a str {
        self.mounts
            .iter()
            .filter_map(|m| {
                path.strip_prefix(m.as_str())
                    .and_then(|r| r.strip_prefix('/'))
            })
            .min_by_key(|r| r.len())
            .unwrap_or(path)
    }

    /// Rebuilds a bundle from stored `(path, text)` pairs.
    pub fn from_texts(texts: impl IntoIterator<Item = (String, String)>) -> Result<Bundle> {
        let mut files: Vec<BundleFile> = texts
            .into_iter()
            .filter_map(|(path, text)| FileKind::of(&path).map(|k| BundleFile::new(path, k, text)))
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let manifest = match files.iter().find(|f| f.kind == FileKind::Manifest) {
            Some(f) => {
                Manifest::parse(&f.text).map_err(|m| Error::Invalid(format!(".manifest:{m}")))?
            }
            None => Manifest::default(),
        };
        Ok(Bundle {
            manifest,
            files,
            ignored: Vec::new(),
            notes: Vec::new(),
            mounts: Vec::new(),
        })
    }

    /// `sha256:<hex>` over the sorted (relative path, file SHA-256) list:
    /// for each file `path NUL sha256-hex LF`, hashed together. Any change to
    /// any file, or a file added, removed or renamed, changes it.
    pub fn content_hash(&self) -> String {
        content_hash(
            self.files
                .iter()
                .map(|f| (f.path.as_str(), f.sha256.as_str())),
        )
    }

    /// The same bundle with only the modules `keep` accepts (data files
    /// and the rest all kept).
    pub fn keeping_modules(&self, keep: impl Fn(&str) -> bool) -> Bundle {
        Bundle {
            manifest: self.manifest.clone(),
            files: self
                .files
                .iter()
                .filter(|f| f.kind != FileKind::Module || keep(&f.path))
                .cloned()
                .collect(),
            ignored: self.ignored.clone(),
            notes: self.notes.clone(),
            mounts: self.mounts.clone(),
        }
    }

    pub fn modules(&self) -> impl Iterator<Item = &BundleFile> {
        self.files.iter().filter(|f| f.kind == FileKind::Module)
    }

    pub fn files_of(&self, kind: FileKind) -> impl Iterator<Item = &BundleFile> {
        self.files.iter().filter(move |f| f.kind == kind)
    }

    /// Whether the modules are Rego v0: the manifest says `rego_version: 0`
    /// or the user asked for `--v0-compatible`.
    pub fn is_rego_v0(&self, v0_compatible: bool) -> bool {
        v0_compatible || self.manifest.rego_version == Some(0)
    }
}

/// A bundle file's text, sized before it is read (a version is held in
/// memory whole, see [`read_cost`]), and refused unless it is UTF-8 text
/// without NUL bytes.
pub fn read_text_file(path: &Path, kind: FileKind) -> Result<String> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(too_big(path, size));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::input(
            path.display().to_string(),
            format!(
                "not a UTF-8 text file (invalid byte at offset {}); a {} file must be text",
                e.utf8_error().valid_up_to(),
                kind.as_str()
            ),
        )
    })?;
    if text.contains('\0') {
        return Err(Error::input(
            path.display().to_string(),
            format!("contains NUL bytes; a {} file must be text", kind.as_str()),
        ));
    }
    Ok(text)
}

/// A file past [`MAX_FILE_BYTES`], refused from its size.
fn too_big(path: &Path, size: u64) -> Error {
    Error::input(
        path.display().to_string(),
        format!(
            "{size} bytes: Gavel reads bundle files of at most {} MiB",
            MAX_FILE_BYTES >> 20
        ),
    )
}

/// The content hash of `(path, sha256-hex)` pairs (sorted here).
pub fn content_hash<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = files.into_iter().collect();
    pairs.sort_unstable();
    let mut h = Sha256::new();
    for (path, sha) in pairs {
        h.update(path.as_bytes());
        h.update([0u8]);
        h.update(sha.as_bytes());
        h.update(b"\n");
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

/// A relative path as `/`-separated UTF-8, if every name in it is UTF-8.
fn utf8_path(relative: &Path) -> Option<String> {
    let names: Option<Vec<&str>> = relative
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect();
    Some(names?.join("/"))
}

/// A path with the bytes that are not UTF-8 shown as `\xNN`.
pub fn escaped_path(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::new();
        for chunk in path.as_os_str().as_bytes().utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned()
    }
}

fn walk_error(dir: &Path, e: walkdir::Error) -> Error {
    if let Some(ancestor) = e.loop_ancestor() {
        let at = e.path().unwrap_or(dir);
        return Error::Invalid(format!(
            "{}: symlink loop (points back to {})",
            at.display(),
            ancestor.display()
        ));
    }
    let path = e.path().unwrap_or(dir).to_path_buf();
    match e.into_io_error() {
        Some(io) => Error::io(path, io),
        None => Error::Invalid(format!("{}: cannot read", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_paths() {
        assert_eq!(FileKind::of(".manifest"), Some(FileKind::Manifest));
        assert_eq!(FileKind::of("a/b/x.rego"), Some(FileKind::Module));
        assert_eq!(FileKind::of("a/data.json"), Some(FileKind::Data));
        assert_eq!(FileKind::of("data.yaml"), Some(FileKind::Data));
        assert_eq!(FileKind::of("cases/c.json"), Some(FileKind::Cases));
        assert_eq!(FileKind::of("cases/sub/c.json"), None);
        assert_eq!(FileKind::of("README.md"), None);
        assert_eq!(FileKind::of("x/other.json"), None);
        assert_eq!(
            FileKind::of_with("x/other.json", DataFiles::All),
            Some(FileKind::Data)
        );
        assert_eq!(
            FileKind::of_with("x/o.yml", DataFiles::All),
            Some(FileKind::Data)
        );
        assert_eq!(
            FileKind::of_with("cases/c.json", DataFiles::All),
            Some(FileKind::Cases)
        );
        assert_eq!(FileKind::of_with("README.md", DataFiles::All), None);
    }

    #[test]
    fn hash_depends_on_paths_and_contents_not_order() {
        let a = content_hash([("a.rego", "11"), ("b.rego", "22")]);
        let b = content_hash([("b.rego", "22"), ("a.rego", "11")]);
        assert_eq!(a, b);
        assert!(a.starts_with("sha256:") && a.len() == 71);
        assert_ne!(a, content_hash([("a.rego", "11"), ("c.rego", "22")]));
        assert_ne!(a, content_hash([("a.rego", "11"), ("b.rego", "23")]));
    }
}
