//! Data files merged into one document as OPA does: `a/b/data.json` lands
//! under `data.a.b`; objects merge key by key; two files that give the same
//! key a non-object value conflict.
//!
//! A parsed document takes many times its text (serde_json's tree: 10 times
//! for records, 90 times for an array of one-key objects, whose every
//! object is a B-tree node). So a bundle's data is checked without one:
//! [`check`] reads each file once into its [`Shape`] (the object keys
//! only, about the size of the keys' text), finds conflicts between shapes
//! and answers which paths exist; the engine is given each file parsed
//! straight into its own values ([`engine_data`]), one file at a time.

use std::collections::BTreeSet;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{Bundle, BundleFile, FileKind};
use crate::error::{Error, Result};

/// Parses one data file (JSON, or YAML for `.yaml`/`.yml`).
pub fn parse_data_file(file: &BundleFile) -> Result<Value> {
    if file.path.ends_with(".json") {
        serde_json::from_str(&file.text).map_err(|e| {
            Error::input(
                format!("{}:{}:{}", file.path, e.line(), e.column()),
                format!("invalid JSON: {e}"),
            )
        })
    } else {
        yaml_serde::from_str(&file.text).map_err(|e| {
            let line = e.location().map_or(1, |l| l.line());
            Error::input(
                format!("{}:{line}", file.path),
                format!("invalid YAML: {e}"),
            )
        })
    }
}

/// A data file's document placed under its directory's path.
fn wrapped(bundle: &Bundle, file: &BundleFile) -> Result<Value> {
    let value = parse_data_file(file)?;
    let dir: Vec<&str> = bundle
        .data_relative(&file.path)
        .rsplit_once('/')
        .map(|(d, _)| d.split('/').collect())
        .unwrap_or_default();
    if dir.is_empty() && !value.is_object() {
        return Err(Error::input(
            file.path.clone(),
            "a data file at the bundle root must hold a JSON object",
        ));
    }
    let mut wrapped = value;
    for key in dir.iter().rev() {
        let mut m = Map::new();
        m.insert((*key).to_string(), wrapped);
        wrapped = Value::Object(m);
    }
    Ok(wrapped)
}

/// The merged data document of a bundle, as one serde_json tree (many
/// times the files' size): the reference [`check`] and [`engine_data`] are
/// held to in the tests; Gavel itself no longer builds it.
pub fn merged_data(bundle: &Bundle) -> Result<Value> {
    let mut root = Value::Object(Map::new());
    let files: Vec<&BundleFile> = bundle.files_of(FileKind::Data).collect();
    for (i, file) in files.iter().enumerate() {
        let value = wrapped(bundle, file)?;
        merge(&mut root, value, &mut vec!["data".to_string()]).map_err(|at| {
            // Only now, on the error path, find the file it conflicts with
            // (the first earlier one holding that path).
            let keys: Vec<&str> = at.split('.').skip(1).collect();
            let other = files[..i].iter().find(|f| {
                wrapped(bundle, f)
                    .is_ok_and(|v| keys.iter().try_fold(&v, |v, k| v.get(*k)).is_some())
            });
            let other = other.map_or("another data file".to_string(), |f| f.path.clone());
            Error::input(file.path.clone(), format!("conflicts with {other} at {at}"))
        })?;
    }
    Ok(root)
}

/// Deep-merges `from` into `into`; on conflict returns the dotted path.
fn merge(into: &mut Value, from: Value, path: &mut Vec<String>) -> std::result::Result<(), String> {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                path.push(k.clone());
                match a.get_mut(&k) {
                    Some(existing) => merge(existing, v, path)?,
                    None => {
                        a.insert(k, v);
                    }
                }
                path.pop();
            }
            Ok(())
        }
        _ => Err(path.join(".")),
    }
}

/// The object keys of a data document, without its values: what conflict
/// checks and path lookups need, and only as much of them as they need.
/// Kept: the file's own top-level keys, and every key where another data
/// file's document meets this one (on the way to a deeper file's
/// directory and all below it; below a shallower file's keys at this
/// one's directory, those keys; everything, when another file shares the
/// directory). Below that an object is marked partial and a lookup there
/// reads the file's text again ([`DataIndex::contains`]).
/// Every object's kept keys are one sorted run of `nodes`; key text lives
/// in one string; a kept key costs 16 bytes and its text.
#[derive(Debug)]
pub struct Shape {
    keys: String,
    nodes: Vec<Node>,
    root: Kids,
    /// The keys of the objects being read, innermost last (while reading).
    open: Vec<Node>,
}

/// One key of an object: its text in `Shape::keys` and what it holds.
#[derive(Debug, Clone, Copy)]
struct Node {
    key_start: u32,
    key_len: u32,
    kids: Kids,
}

/// A value: for an object, a run of `len` nodes from `first` (with
/// `PARTIAL` set when it has keys not kept); `LEAF` for anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Kids {
    first: u32,
    len: u32,
}

impl Kids {
    const LEAF: Kids = Kids {
        first: 0,
        len: u32::MAX,
    };
    const PARTIAL: u32 = 1 << 31;
    /// An object none of whose keys were kept.
    const UNREAD: Kids = Kids {
        first: 0,
        len: Kids::PARTIAL,
    };

    fn is_partial(self) -> bool {
        self != Kids::LEAF && self.len & Kids::PARTIAL != 0
    }

    fn count(self) -> usize {
        if self == Kids::LEAF {
            0
        } else {
            (self.len & !Kids::PARTIAL) as usize
        }
    }
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            keys: String::new(),
            nodes: Vec::new(),
            root: Kids::LEAF,
            open: Vec::new(),
        }
    }
}

/// Which keys of a file's document its shape keeps, beyond its top-level
/// keys: the paths (relative to its directory) where other files meet it.
#[derive(Debug, Default)]
struct Guide {
    /// Everything below is kept.
    all: bool,
    below: std::collections::BTreeMap<String, Guide>,
}

impl Guide {
    /// Everything at and below `path` is kept.
    fn add(&mut self, path: &[String]) {
        match path.split_first() {
            None => self.all = true,
            Some((first, rest)) => self.below.entry(first.clone()).or_default().add(rest),
        }
    }

    /// The keys `shape` holds at `path` (and below them, every key it
    /// keeps) are kept: where a shallower file's document meets this one.
    fn add_keys_of(&mut self, shape: &Shape, path: &[String]) {
        let mut kids = shape.root;
        for key in path {
            if kids == Kids::LEAF {
                return;
            }
            match shape.child(kids, key) {
                Some(k) => kids = k,
                None => return,
            }
        }
        self.add_run(shape, kids);
    }

    fn add_run(&mut self, shape: &Shape, kids: Kids) {
        for n in shape.children(kids) {
            let below = self.below.entry(shape.key(n).to_string()).or_default();
            if n.kids != Kids::LEAF {
                below.add_run(shape, n.kids);
            }
        }
    }
}

/// serde_json's private key for a number read with `arbitrary_precision`.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// What a value read keeps in the shape.
#[derive(Clone, Copy)]
enum Mode<'g> {
    /// Nothing: only whether it is an object (an array's items, values
    /// below what the guide keeps).
    Skip,
    /// Every key below.
    All,
    /// The keys the guide names (every key at the top, `top`), the values
    /// of the others skipped.
    Guided { guide: &'g Guide, top: bool },
}

impl Shape {
    /// Reads one data file's shape: JSON, or YAML for `.yaml`/`.yml`. The
    /// file is read exactly as [`parse_data_file`] reads it (the same
    /// acceptance and the same errors), without building its values.
    fn of_file(file: &BundleFile, guide: &Guide) -> Result<Shape> {
        let mut shape = Shape::default();
        let mode = if guide.all {
            Mode::All
        } else {
            Mode::Guided { guide, top: true }
        };
        shape.root = read_value(file, |d| {
            d.any(ShapeSeed {
                shape: &mut shape,
                mode,
            })
        })?;
        shape.open = Vec::new();
        Ok(shape)
    }

    pub fn is_object(&self) -> bool {
        self.root != Kids::LEAF
    }

    fn key(&self, n: &Node) -> &str {
        let start = n.key_start as usize;
        self.keys
            .get(start..start + n.key_len as usize)
            .unwrap_or("")
    }

    fn children(&self, kids: Kids) -> &[Node] {
        let first = kids.first as usize;
        self.nodes.get(first..first + kids.count()).unwrap_or(&[])
    }

    fn child(&self, kids: Kids, key: &str) -> Option<Kids> {
        let run = self.children(kids);
        run.binary_search_by(|n| self.key(n).cmp(key))
            .ok()
            .map(|i| run[i].kids)
    }
}

/// Reads a data file's text (JSON, or YAML for `.yaml`/`.yml`) with a
/// seed, with [`parse_data_file`]'s errors.
fn read_value<T>(
    file: &BundleFile,
    seed: impl for<'de> FnOnce(DataDeserializer<'de, '_>) -> std::result::Result<T, DataError>,
) -> Result<T> {
    if file.path.ends_with(".json") {
        let mut de = serde_json::Deserializer::from_str(&file.text);
        seed(DataDeserializer::Json(&mut de))
            .and_then(|v| de.end().map(|()| v).map_err(DataError::Json))
            .map_err(|e| match e {
                DataError::Json(e) => Error::input(
                    format!("{}:{}:{}", file.path, e.line(), e.column()),
                    format!("invalid JSON: {e}"),
                ),
                DataError::Yaml(e) => Error::input(file.path.clone(), format!("invalid JSON: {e}")),
            })
    } else {
        seed(DataDeserializer::Yaml(yaml_serde::Deserializer::from_str(
            &file.text,
        )))
        .map_err(|e| match e {
            DataError::Yaml(e) => {
                let line = e.location().map_or(1, |l| l.line());
                Error::input(
                    format!("{}:{line}", file.path),
                    format!("invalid YAML: {e}"),
                )
            }
            DataError::Json(e) => Error::input(file.path.clone(), format!("invalid YAML: {e}")),
        })
    }
}

/// The deserializer of a data file, JSON or YAML.
enum DataDeserializer<'de, 'a> {
    Json(&'a mut serde_json::Deserializer<serde_json::de::StrRead<'de>>),
    Yaml(yaml_serde::Deserializer<'de>),
}

/// The error of either.
enum DataError {
    Json(serde_json::Error),
    Yaml(yaml_serde::Error),
}

impl<'de> DataDeserializer<'de, '_> {
    fn any<S: DeserializeSeed<'de>>(self, seed: S) -> std::result::Result<S::Value, DataError> {
        match self {
            DataDeserializer::Json(d) => seed.deserialize(d).map_err(DataError::Json),
            DataDeserializer::Yaml(d) => seed.deserialize(d).map_err(DataError::Yaml),
        }
    }
}

/// Reads a value into a shape (the same visits as serde_json's `Value`).
struct ShapeSeed<'a, 'g> {
    shape: &'a mut Shape,
    mode: Mode<'g>,
}

impl<'de> DeserializeSeed<'de> for ShapeSeed<'_, '_> {
    type Value = Kids;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Kids, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ShapeSeed<'_, '_> {
    type Value = Kids;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        // serde_json's own words, so that an error reads as before.
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<Kids, E> {
        Ok(Kids::LEAF)
    }

    fn visit_i64<E>(self, _: i64) -> std::result::Result<Kids, E> {
        Ok(Kids::LEAF)
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> std::result::Result<Kids, E> {
        <serde_json::Number as de::Deserialize>::deserialize(de::value::I128Deserializer::new(v))
            .map(|_| Kids::LEAF)
    }

    fn visit_u64<E>(self, _: u64) -> std::result::Result<Kids, E> {
        Ok(Kids::LEAF)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> std::result::Result<Kids, E> {
        <serde_json::Number as de::Deserialize>::deserialize(de::value::U128Deserializer::new(v))
            .map(|_| Kids::LEAF)
    }

    fn visit_f64<E>(self, _: f64) -> std::result::Result<Kids, E> {
        Ok(Kids::LEAF)
    }

    fn visit_str<E>(self, _: &str) -> std::result::Result<Kids, E> {
        Ok(Kids::LEAF)
    }

    fn visit_none<E>(self) -> std::result::Result<Kids, E> {
        Ok(Kids::LEAF)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Kids, D::Error> {
        self.deserialize(d)
    }

    fn visit_unit<E>(self) -> std::result::Result<Kids, E> {
        Ok(Kids::LEAF)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Kids, A::Error> {
        // An array is a leaf: its items are read (and checked) and dropped.
        while seq
            .next_element_seed(ShapeSeed {
                shape: &mut *self.shape,
                mode: Mode::Skip,
            })?
            .is_some()
        {}
        Ok(Kids::LEAF)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Kids, A::Error> {
        let (shape, mode) = (self.shape, self.mode);
        // As serde_json's `Value` reads a map: the first key through
        // `deserialize_str` (a number read with `arbitrary_precision`
        // arrives as a map with a private key), the rest as `String`s.
        let Some(first) = map.next_key_seed(FirstKey)? else {
            return Ok(match mode {
                Mode::Skip => Kids::UNREAD,
                _ => Kids { first: 0, len: 0 },
            });
        };
        if first == NUMBER_TOKEN {
            map.next_value_seed(NumberText)?;
            return Ok(Kids::LEAF);
        }
        let base = shape.open.len();
        let mut partial = false;
        let mut key = Some(first);
        while let Some(k) = key
            .take()
            .map_or_else(|| map.next_key::<String>(), |k| Ok(Some(k)))?
        {
            // What this key's value keeps, and whether the key is kept.
            let (child, kept) = match mode {
                Mode::Skip => (Mode::Skip, false),
                Mode::All => (Mode::All, true),
                Mode::Guided { guide, top } => match guide.below.get(&k) {
                    Some(g) if g.all => (Mode::All, true),
                    Some(g) => (
                        Mode::Guided {
                            guide: g,
                            top: false,
                        },
                        true,
                    ),
                    None => (Mode::Skip, top),
                },
            };
            let kids = map.next_value_seed(ShapeSeed {
                shape: &mut *shape,
                mode: child,
            })?;
            if !kept {
                partial = true;
                continue;
            }
            let key_start = u32::try_from(shape.keys.len()).map_err(de::Error::custom)?;
            let key_len = u32::try_from(k.len()).map_err(de::Error::custom)?;
            shape.keys.push_str(&k);
            shape.open.push(Node {
                key_start,
                key_len,
                kids,
            });
        }
        if matches!(mode, Mode::Skip) {
            return Ok(Kids::UNREAD);
        }
        // Sorted by key; of duplicate keys the last one stays, as in a map.
        let Shape {
            keys, nodes, open, ..
        } = shape;
        let text = |n: &Node| &keys[n.key_start as usize..(n.key_start + n.key_len) as usize];
        let run = &mut open[base..];
        run.sort_by(|a, b| text(a).cmp(text(b)));
        let mut kept = 0;
        for i in 0..run.len() {
            if kept > 0 && text(&run[kept - 1]) == text(&run[i]) {
                run[kept - 1] = run[i];
            } else {
                run[kept] = run[i];
                kept += 1;
            }
        }
        let first = u32::try_from(nodes.len()).map_err(de::Error::custom)?;
        let len = u32::try_from(kept)
            .ok()
            .filter(|n| n & Kids::PARTIAL == 0)
            .ok_or_else(|| de::Error::custom("an object with more than 2^31 keys"))?;
        nodes.extend_from_slice(&run[..kept]);
        open.truncate(base);
        Ok(Kids {
            first,
            len: if partial { len | Kids::PARTIAL } else { len },
        })
    }
}

/// A map's first key, read as serde_json's `Value` reads it.
struct FirstKey;

impl<'de> DeserializeSeed<'de> for FirstKey {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<String, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for FirstKey {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E>(self, s: &str) -> std::result::Result<String, E> {
        Ok(s.to_owned())
    }

    fn visit_string<E>(self, s: String) -> std::result::Result<String, E> {
        Ok(s)
    }
}

/// The text of a number read with `arbitrary_precision`, checked as
/// serde_json checks it.
struct NumberText;

impl<'de> DeserializeSeed<'de> for NumberText {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for NumberText {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("string containing a number")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<(), E> {
        s.parse::<serde_json::Number>()
            .map(drop)
            .map_err(de::Error::custom)
    }
}

/// Whether a (valid) document holds `path`, read from its text: every
/// object key on the way, the rest skipped.
struct PathSeed<'p> {
    path: &'p [String],
}

impl<'de> DeserializeSeed<'de> for PathSeed<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PathSeed<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<bool, E> {
        Ok(self.path.is_empty())
    }

    fn visit_i64<E>(self, _: i64) -> std::result::Result<bool, E> {
        Ok(self.path.is_empty())
    }

    fn visit_u64<E>(self, _: u64) -> std::result::Result<bool, E> {
        Ok(self.path.is_empty())
    }

    fn visit_i128<E>(self, _: i128) -> std::result::Result<bool, E> {
        Ok(self.path.is_empty())
    }

    fn visit_u128<E>(self, _: u128) -> std::result::Result<bool, E> {
        Ok(self.path.is_empty())
    }

    fn visit_f64<E>(self, _: f64) -> std::result::Result<bool, E> {
        Ok(self.path.is_empty())
    }

    fn visit_str<E>(self, _: &str) -> std::result::Result<bool, E> {
        Ok(self.path.is_empty())
    }

    fn visit_none<E>(self) -> std::result::Result<bool, E> {
        Ok(self.path.is_empty())
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        self.deserialize(d)
    }

    fn visit_unit<E>(self) -> std::result::Result<bool, E> {
        Ok(self.path.is_empty())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<bool, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(self.path.is_empty())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<bool, A::Error> {
        let Some(first) = map.next_key_seed(FirstKey)? else {
            return Ok(self.path.is_empty());
        };
        if first == NUMBER_TOKEN {
            map.next_value::<de::IgnoredAny>()?;
            return Ok(self.path.is_empty());
        }
        let Some((want, rest)) = self.path.split_first() else {
            map.next_value::<de::IgnoredAny>()?;
            while map
                .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                .is_some()
            {}
            return Ok(true);
        };
        // Of duplicate keys the last one stays, as in a map.
        let mut found = false;
        let mut key = Some(first);
        while let Some(k) = key
            .take()
            .map_or_else(|| map.next_key::<String>(), |k| Ok(Some(k)))?
        {
            if k == *want {
                found = map.next_value_seed(PathSeed { path: rest })?;
            } else {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// A bundle's data checked: every file reads, a file at the root holds an
/// object, no two files conflict. It answers which paths the merged
/// document holds.
#[derive(Debug)]
pub struct DataIndex<'b> {
    /// Each data file's directory (its data path), shape and text.
    files: Vec<(Vec<String>, Shape, &'b BundleFile)>,
    /// Lookups that had to read a file's text again: (file, path) -> found.
    read_again: std::cell::RefCell<std::collections::HashMap<(usize, Vec<String>), bool>>,
}

impl DataIndex<'_> {
    /// Whether the merged data document holds `path` (object keys below
    /// `data`), as `doc.get(k1).get(k2)...` on it would find it.
    pub fn contains(&self, path: &[&str]) -> bool {
        (0..self.files.len()).any(|i| self.file_contains(i, path))
    }

    /// The keys the merged document holds right below `prefix`, when its
    /// data files tell them by their directories alone: `None` when a file
    /// at or above `prefix` holds something there (its keys would have to
    /// be read).
    pub fn keys_below(&self, prefix: &[&str]) -> Option<BTreeSet<String>> {
        let mut keys = BTreeSet::new();
        for (i, (dir, _, _)) in self.files.iter().enumerate() {
            if dir.len() > prefix.len() {
                if dir.iter().zip(prefix).all(|(d, p)| d == p) {
                    keys.insert(dir[prefix.len()].clone());
                }
            } else if self.file_contains(i, prefix) {
                return None;
            }
        }
        Some(keys)
    }

    fn file_contains(&self, i: usize, path: &[&str]) -> bool {
        let (dir, shape, file) = &self.files[i];
        if !dir.iter().zip(path).all(|(d, p)| d == p) {
            return false;
        }
        if path.len() <= dir.len() {
            return true;
        }
        let rest = &path[dir.len()..];
        let mut kids = shape.root;
        for key in rest {
            if kids == Kids::LEAF {
                return false;
            }
            match shape.child(kids, key) {
                Some(k) => kids = k,
                None if kids.is_partial() => {
                    let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
                    return *self
                        .read_again
                        .borrow_mut()
                        .entry((i, rest))
                        .or_insert_with_key(|(_, rest)| {
                            read_value(file, |d| d.any(PathSeed { path: rest })).unwrap_or(false)
                        });
                }
                None => return false,
            }
        }
        true
    }
}

/// A data file's data path: its directory relative to its bundle.
fn dir_of(bundle: &Bundle, file: &BundleFile) -> Vec<String> {
    bundle
        .data_relative(&file.path)
        .rsplit_once('/')
        .map(|(d, _)| d.split('/').map(String::from).collect())
        .unwrap_or_default()
}

/// Checks a bundle's data files as [`merged_data`] does, with the same
/// errors in the same order, holding only the keys it needs of each.
pub fn check(bundle: &Bundle) -> Result<DataIndex<'_>> {
    let files: Vec<&BundleFile> = bundle.files_of(FileKind::Data).collect();
    let dirs: Vec<Vec<String>> = files.iter().map(|f| dir_of(bundle, f)).collect();
    // Shallower files first: a file keeps the keys a shallower file's
    // document holds where the two meet, so that one is read first.
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| dirs[i].len());
    let mut shapes: Vec<Option<Result<Shape>>> = files.iter().map(|_| None).collect();
    for &i in &order {
        let dir = &dirs[i];
        let mut guide = Guide::default();
        for (j, other) in dirs.iter().enumerate() {
            if j == i {
                continue;
            }
            if other.len() > dir.len() && other.starts_with(dir) {
                // A deeper file: all of this one below its directory.
                guide.add(&other[dir.len()..]);
            } else if other == dir {
                // Another file at the same directory (data.json and
                // data.yaml): all of both.
                guide.all = true;
            } else if dir.starts_with(other)
                && let Some(Ok(shallower)) = &shapes[j]
            {
                guide.add_keys_of(shallower, &dir[other.len()..]);
            }
        }
        shapes[i] = Some(Shape::of_file(files[i], &guide));
    }
    let mut index = DataIndex {
        files: Vec::with_capacity(files.len()),
        read_again: Default::default(),
    };
    for (i, (file, shape)) in files.iter().zip(shapes).enumerate() {
        let shape = shape.unwrap_or_else(|| Ok(Shape::default()))?;
        let dir = &dirs[i];
        if dir.is_empty() && !shape.is_object() {
            return Err(Error::input(
                file.path.clone(),
                "a data file at the bundle root must hold a JSON object",
            ));
        }
        // The first conflict in key order, with the first earlier file
        // holding its path: what merging into the earlier files finds.
        let mut found: Option<(Vec<String>, usize)> = None;
        for (j, (other_dir, other, _)) in index.files.iter().enumerate() {
            if let Some(at) = first_conflict(other_dir, other, dir, &shape)
                && found.as_ref().is_none_or(|(f, _)| at < *f)
            {
                found = Some((at, j));
            }
        }
        if let Some((at, j)) = found {
            let at = std::iter::once("data")
                .chain(at.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(".");
            return Err(Error::input(
                file.path.clone(),
                format!("conflicts with {} at {at}", files[j].path),
            ));
        }
        index.files.push((dir.clone(), shape, file));
    }
    Ok(index)
}

/// The first path (in key order) at which the documents of two data files,
/// each under its directory, conflict: both hold it and one holds a
/// non-object there. Their shapes keep every key where the two meet.
fn first_conflict(a_dir: &[String], a: &Shape, b_dir: &[String], b: &Shape) -> Option<Vec<String>> {
    let common = a_dir.len().min(b_dir.len());
    if a_dir[..common] != b_dir[..common] {
        return None;
    }
    // Walk the shallower document down to the deeper one's directory.
    let (shallow, deep_dir, shallow_dir) = if a_dir.len() <= b_dir.len() {
        (a, b_dir, a_dir)
    } else {
        (b, a_dir, b_dir)
    };
    let mut kids = shallow.root;
    let mut path: Vec<String> = shallow_dir.to_vec();
    for key in &deep_dir[shallow_dir.len()..] {
        if kids == Kids::LEAF {
            return Some(path);
        }
        kids = shallow.child(kids, key)?;
        path.push(key.clone());
    }
    let (a_kids, b_kids) = if a_dir.len() <= b_dir.len() {
        (kids, b.root)
    } else {
        (a.root, kids)
    };
    compare(a, a_kids, b, b_kids, &mut path).then_some(path)
}

/// Whether two values conflict, leaving in `path` where they first do.
fn compare(a: &Shape, a_kids: Kids, b: &Shape, b_kids: Kids, path: &mut Vec<String>) -> bool {
    if a_kids == Kids::LEAF || b_kids == Kids::LEAF {
        return true;
    }
    let (xs, ys) = (a.children(a_kids), b.children(b_kids));
    let (mut i, mut j) = (0, 0);
    while i < xs.len() && j < ys.len() {
        let (kx, ky) = (a.key(&xs[i]), b.key(&ys[j]));
        match kx.cmp(ky) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                path.push(kx.to_string());
                if compare(a, xs[i].kids, b, ys[j].kids, path) {
                    return true;
                }
                path.pop();
                i += 1;
                j += 1;
            }
        }
    }
    false
}

/// The data document as the engine holds it, one file at a time: each
/// file parsed straight into regorus's values (JSON; YAML through
/// serde_json, as before), placed under its directory. Call [`check`]
/// first: a conflict here is regorus's own message.
pub fn engine_data(
    bundle: &Bundle,
    mut add: impl FnMut(regorus::Value) -> Result<()>,
) -> Result<()> {
    for file in bundle.files_of(FileKind::Data) {
        let mut value = if file.path.ends_with(".json") {
            regorus::Value::from_json_str(&file.text)
                .map_err(|e| Error::input(file.path.clone(), format!("invalid JSON: {e}")))?
        } else {
            regorus::Value::from(parse_data_file(file)?)
        };
        for key in dir_of(bundle, file).into_iter().rev() {
            let mut m = regorus::Value::new_object();
            m.as_object_mut()
                .map_err(|e| Error::Engine(e.to_string()))?
                .insert(regorus::Value::from(key), value);
            value = m;
        }
        add(value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(files: &[(&str, &str)]) -> Bundle {
        let mut texts: Vec<(String, String)> = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        texts.push(("p.rego".into(), "package p".into()));
        Bundle::from_texts(texts).unwrap()
    }

    #[test]
    fn merges_under_directory_paths() {
        let b = bundle(&[
            ("data.json", r#"{"top": 1, "a": {"x": 1}}"#),
            ("a/data.yaml", "y: 2\n"),
            ("a/b/data.json", r#"{"z": [3]}"#),
        ]);
        let d = merged_data(&b).unwrap();
        assert_eq!(
            d,
            serde_json::json!({"top": 1, "a": {"x": 1, "y": 2, "b": {"z": [3]}}})
        );
    }

    #[test]
    fn conflicts_name_the_path() {
        let b = bundle(&[
            ("data.json", r#"{"a": {"x": 1}}"#),
            ("a/data.json", r#"{"x": 2}"#),
        ]);
        let err = merged_data(&b).unwrap_err().to_string();
        assert_eq!(err, "data.json: conflicts with a/data.json at data.a.x");
    }

    #[test]
    fn bad_json_names_line_and_column() {
        let b = bundle(&[("a/data.json", "{\n  \"x\": ,\n}")]);
        let err = merged_data(&b).unwrap_err().to_string();
        assert!(err.starts_with("a/data.json:2:"), "{err}");
    }

    #[test]
    fn combined_bundles_keep_their_data_paths() {
        let a = bundle(&[("x/data.json", r#"{"a": 1}"#)]);
        let b = bundle(&[("y/data.json", r#"{"b": 2}"#)]);
        let c = Bundle::combine(vec![("dir/one".into(), a), ("two".into(), b)]);
        assert_eq!(
            merged_data(&c).unwrap(),
            serde_json::json!({"x": {"a": 1}, "y": {"b": 2}})
        );
        assert!(c.files.iter().any(|f| f.path == "dir/one/p.rego"));
    }

    #[test]
    fn a_scalar_at_the_root_is_refused() {
        assert!(merged_data(&bundle(&[("data.json", "3")])).is_err());
        assert!(check(&bundle(&[("data.json", "3")])).is_err());
    }

    /// Bundles whose data merges, and bundles whose data does not: `check`
    /// (shapes only) says what `merged_data` (the whole document) says,
    /// word for word, and the engine's document is the merged one.
    #[test]
    fn check_and_engine_data_agree_with_the_merged_document() {
        let cases: &[&[(&str, &str)]] = &[
            &[],
            &[
                ("data.json", r#"{"top": 1, "a": {"x": 1}}"#),
                ("a/data.yaml", "y: 2\n"),
                ("a/b/data.json", r#"{"z": [3]}"#),
            ],
            &[
                ("data.json", r#"{"a": {"x": 1}}"#),
                ("a/data.json", r#"{"x": 2}"#),
            ],
            &[
                ("data.json", r#"{"a": {"x": 1}}"#),
                ("a/data.json", r#"{"x": 1}"#),
            ],
            &[
                ("data.json", r#"{"a": [1]}"#),
                ("a/b/data.json", r#"{"x": 2}"#),
            ],
            &[
                ("data.json", r#"{"a": {"b": 1}}"#),
                ("a/b/c/data.json", r#"{"x": 2}"#),
            ],
            &[
                ("a/data.json", r#"{"b": {"c": 1, "d": {"e": 2}}}"#),
                ("a/b/d/data.yaml", "f: 3\ne: 4\n"),
                ("data.yml", "z: 1\n"),
            ],
            &[("x/data.json", r#"[1, 2]"#), ("x/data.yaml", "a: 1\n")],
            &[("x/data.json", r#""s""#), ("y/data.json", "3")],
            &[
                ("data.json", r#"{"k": 1, "k": {"a": 1}}"#),
                ("k/data.json", r#"{"a": 2}"#),
            ],
            &[
                ("data.json", r#"{"k": {"a": 1}, "k": 2}"#),
                ("k/data.json", r#"{"a": 2}"#),
            ],
            &[
                ("data.json", r#"{"a": {"b": 1, "c": {"d": 1}}, "e": 1}"#),
                ("a/data.json", r#"{"c": {"d": {"x": 1}}, "b": 2}"#),
            ],
            &[(
                "data.json",
                r#"{"n": [1E2, 1.0, -0, 1e400, 123456789012345678901234567890, 0.1, 1e-400, "\u00e9\n"], "o": {}}"#,
            )],
            &[("data.json", "{\n  \"a\": [1,\n}")],
            &[("data.yaml", "a: [1\n")],
            &[("data.json", "{} x")],
            &[("a/data.json", "{\"$serde_json::private::Number\": \"12\"}")],
            &[("data.yaml", "a: !tagged 1\n")],
            &[("data.yaml", "1: one\ntrue: yes\n")],
            &[("data.json", r#"{"a": 1}"#), ("a/data.json", "{}")],
            &[("data.json", r#"{"a": {}}"#), ("a/data.json", "{}")],
            &[(
                "data.json",
                r#"{"a": {"b": {"c": 1}}, "a": {"d": {"e": {"f": [{"g": 1}]}}}}"#,
            )],
            &[("x/data.yaml", "a:\n  b:\n    c: [1]\n  d: {e: {}}\n")],
        ];
        let mut read_again = 0;
        for files in cases {
            let b = bundle(files);
            let merged = merged_data(&b);
            let checked = check(&b);
            match (&merged, &checked) {
                (Ok(doc), Ok(index)) => {
                    // Every path of the document is found, and no other.
                    let mut paths = Vec::new();
                    all_paths(doc, &mut Vec::new(), &mut paths);
                    for p in &paths {
                        let p: Vec<&str> = p.iter().map(String::as_str).collect();
                        assert!(index.contains(&p), "{files:?}: {p:?}");
                        let mut absent = p.clone();
                        absent.push("no-such-key");
                        assert!(!index.contains(&absent), "{files:?}: {absent:?}");
                    }
                    let mut engine = regorus::Engine::new();
                    engine.add_data(regorus::Value::new_object()).unwrap();
                    engine_data(&b, |v| {
                        engine.add_data(v).map_err(|e| Error::Engine(e.to_string()))
                    })
                    .unwrap();
                    assert_eq!(
                        engine.get_data(),
                        regorus::Value::from(doc.clone()),
                        "{files:?}"
                    );
                    read_again += index.read_again.borrow().len();
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{files:?}"),
                _ => panic!("{files:?}: merged {merged:?}, checked {checked:?}"),
            }
        }
        // Keys below a file's top level (where no other file meets it)
        // were looked up in the text.
        assert!(read_again > 5, "{read_again}");
    }

    /// Random bundles of small data files in nested directories: `check`
    /// finds what `merged_data` finds, and the paths it finds are the
    /// document's.
    #[test]
    fn check_agrees_with_merging_on_random_bundles() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        fn doc(next: &mut dyn FnMut(u64) -> u64, depth: u32) -> String {
            match next(if depth > 3 { 3 } else { 6 }) {
                0 => "1".into(),
                1 => "[{\"a\": 1}]".into(),
                2 => "\"s\"".into(),
                _ => {
                    let n = next(4);
                    let entries: Vec<String> = (0..n)
                        .map(|_| {
                            format!(
                                "\"{}\": {}",
                                ["a", "b", "c"][next(3) as usize],
                                doc(next, depth + 1)
                            )
                        })
                        .collect();
                    format!("{{{}}}", entries.join(", "))
                }
            }
        }
        let dirs = ["", "a/", "b/", "a/b/", "a/c/", "a/b/c/"];
        let names = ["data.json", "data.yaml"];
        let (mut ok, mut conflicts) = (0, 0);
        for _ in 0..400 {
            let mut files: Vec<(String, String)> = Vec::new();
            for _ in 0..1 + next(4) {
                let path = format!("{}{}", dirs[next(6) as usize], names[next(2) as usize]);
                if files.iter().any(|(p, _)| *p == path) {
                    continue;
                }
                let text = doc(&mut next, 0);
                files.push((path, text));
            }
            let refs: Vec<(&str, &str)> = files
                .iter()
                .map(|(p, t)| (p.as_str(), t.as_str()))
                .collect();
            let b = bundle(&refs);
            match (merged_data(&b), check(&b)) {
                (Ok(d), Ok(index)) => {
                    ok += 1;
                    let mut paths = Vec::new();
                    all_paths(&d, &mut Vec::new(), &mut paths);
                    for p in &paths {
                        let mut p: Vec<&str> = p.iter().map(String::as_str).collect();
                        assert!(index.contains(&p), "{files:?}: {p:?}");
                        p.push("d");
                        assert!(!index.contains(&p), "{files:?}: {p:?}");
                    }
                }
                (Err(a), Err(c)) => {
                    conflicts += 1;
                    assert_eq!(a.to_string(), c.to_string(), "{files:?}");
                }
                (a, c) => panic!("{files:?}: merged {a:?}, checked {c:?}"),
            }
        }
        assert!(ok > 50 && conflicts > 50, "{ok} {conflicts}");
    }

    fn all_paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        if let Value::Object(m) = v {
            for (k, child) in m {
                at.push(k.clone());
                out.push(at.clone());
                all_paths(child, at, out);
                at.pop();
            }
        }
    }
}
