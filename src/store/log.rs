//! The decision log as a Merkle tree (RFC 9162 hashing): decision `seq` is
//! leaf `seq - 1`. What is kept to prove things fast:
//! - each decision row's leaf hash (`decisions.leaf_hash`);
//! - every interior node at level 8 and above (`log_nodes`), so the hash of
//!   any subtree is read from at most a few hundred stored hashes and a
//!   proof in a log of a million costs milliseconds;
//! - the tree's right edge (`log_head`), so an append costs a few hashes;
//! - signed checkpoints (`checkpoints`), one per batch that changed the log,
//!   signed with the log key, which is never in the store.
//!
//! All of these are an attacker's to rewrite along with the decisions; what
//! they cannot do is sign a checkpoint, so `gavel verify` recomputes every
//! hash from the records and holds the result against signed checkpoints.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::Store;
use crate::error::{Error, Result};
use crate::tlog::key::LogKey;
use crate::tlog::merkle::{self, CompactRange, Hash, SubtreeSource};
use crate::tlog::note::{Checkpoint, NoteSigner};

/// Interior nodes at this level and above are stored.
pub const STORED_LEVEL: u32 = 8;

/// The log's identity and right edge.
#[derive(Debug, Clone)]
pub struct LogHead {
    /// The checkpoint origin: names this log among all others.
    pub origin: String,
    pub range: CompactRange,
}

impl LogHead {
    pub fn size(&self) -> u64 {
        self.range.size()
    }
    pub fn root(&self) -> Hash {
        self.range.root()
    }
}

/// A checkpoint the store recorded.
#[derive(Debug, Clone, Serialize)]
pub struct StoredCheckpoint {
    pub id: i64,
    pub size: u64,
    #[serde(serialize_with = "crate::tlog::serialize_hash")]
    pub root: Hash,
    /// The signed note, byte for byte.
    pub note: String,
    /// What recorded it: `import`, `eval`, `replay`, `sign-off`, `checkpoint`.
    pub reason: String,
    pub created_at: String,
}

/// The log at a glance, for the workbench: its size, the latest signed
/// checkpoint, and whether the log still extends the checkpoint last
/// written out for an auditor (from the stored hashes: `gavel verify
/// --checkpoint` recomputes them).
#[derive(Debug, Clone)]
pub struct LogStatus {
    pub size: u64,
    pub latest: Option<StoredCheckpoint>,
    /// (checkpoint, written to, when, whether the log extends it).
    pub exported: Option<(StoredCheckpoint, String, String, bool)>,
}

/// Where the store finds its log key (loaded on the first append).
/// Loaded through `&Store` (a sign-off signs a checkpoint from a screen
/// that only reads the store otherwise), hence the cell.
#[derive(Default)]
pub(crate) struct KeySlot {
    location: Option<std::result::Result<(PathBuf, bool), String>>,
    loaded: std::cell::OnceCell<Arc<LogKey>>,
}

pub(crate) fn read_head(conn: &Connection) -> Result<LogHead> {
    let (origin, range): (String, Vec<u8>) = conn
        .prepare_cached("SELECT origin, compact_range FROM log_head WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let range = CompactRange::from_bytes(&range)
        .map_err(|e| Error::Invalid(format!("the log's head cannot be read: {e}")))?;
    Ok(LogHead { origin, range })
}

pub(crate) fn write_head(conn: &Connection, head: &LogHead) -> Result<()> {
    conn.prepare_cached("UPDATE log_head SET size = ?1, compact_range = ?2 WHERE id = 1")?
        .execute(params![
            i64::try_from(head.size()).unwrap_or(i64::MAX),
            head.range.to_bytes()
        ])?;
    Ok(())
}

/// Appends one leaf to the head, storing the interior nodes it completes.
pub(crate) fn append_leaf(conn: &Connection, head: &mut LogHead, leaf: Hash) -> Result<()> {
    let mut completed: Vec<(u32, u64, Hash)> = Vec::new();
    head.range.append(leaf, |level, index, hash| {
        if level >= STORED_LEVEL {
            completed.push((level, index, *hash));
        }
    });
    if !completed.is_empty() {
        let mut insert =
            conn.prepare_cached("INSERT INTO log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)")?;
        for (level, index, hash) in completed {
            insert.execute(params![
                level,
                i64::try_from(index).unwrap_or(i64::MAX),
                &hash[..]
            ])?;
        }
    }
    Ok(())
}

/// Signs the head as a checkpoint and records it.
pub(crate) fn record_checkpoint(
    conn: &Connection,
    head: &LogHead,
    signer: &NoteSigner,
    reason: &str,
) -> Result<StoredCheckpoint> {
    let body = Checkpoint {
        origin: head.origin.clone(),
        size: head.size(),
        root: head.root(),
        extensions: Vec::new(),
    }
    .to_text();
    let note = signer
        .sign(&body)
        .map_err(|e| Error::Invalid(format!("cannot sign the checkpoint: {e}")))?;
    // The clock's time: a checkpoint is never compared with other records.
    let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    conn.prepare_cached(
        "INSERT INTO checkpoints (size, root, note, reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        i64::try_from(head.size()).unwrap_or(i64::MAX),
        &head.root()[..],
        note,
        reason,
        created_at
    ])?;
    Ok(StoredCheckpoint {
        id: conn.last_insert_rowid(),
        size: head.size(),
        root: head.root(),
        note,
        reason: reason.to_string(),
        created_at,
    })
}

fn hash_of(bytes: Vec<u8>, what: &str) -> Result<Hash> {
    Hash::try_from(bytes.as_slice())
        .map_err(|_| Error::Invalid(format!("{what} is not a 32-byte hash")))
}

fn checkpoint_row(
    r: &rusqlite::Row,
) -> rusqlite::Result<(i64, i64, Vec<u8>, String, String, String)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn to_checkpoint(row: (i64, i64, Vec<u8>, String, String, String)) -> Result<StoredCheckpoint> {
    let (id, size, root, note, reason, created_at) = row;
    Ok(StoredCheckpoint {
        id,
        size: u64::try_from(size).unwrap_or(0),
        root: hash_of(root, &format!("checkpoint #{id}'s root"))?,
        note,
        reason,
        created_at,
    })
}

/// Reads stored hashes for proofs: leaves from the decision rows, nodes at
/// level 8 and above from `log_nodes`, anything between folded from leaves.
pub struct StoredTree<'a> {
    conn: &'a Connection,
}

impl<'a> StoredTree<'a> {
    pub fn new(conn: &'a Connection) -> StoredTree<'a> {
        StoredTree { conn }
    }

    fn leaves(&self, start: u64, end: u64) -> Result<Vec<Hash>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, leaf_hash FROM decisions WHERE seq > ?1 AND seq <= ?2 ORDER BY seq",
        )?;
        let rows: Vec<(i64, Vec<u8>)> = stmt
            .query_map(
                params![
                    i64::try_from(start).unwrap_or(i64::MAX),
                    i64::try_from(end).unwrap_or(i64::MAX)
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .collect::<rusqlite::Result<_>>()?;
        if rows.len() as u64 != end - start {
            return Err(Error::Invalid(format!(
                "the log is missing decisions between positions {} and {end}: run gavel verify",
                start + 1
            )));
        }
        rows.into_iter()
            .map(|(seq, h)| hash_of(h, &format!("decision #{seq}'s leaf hash")))
            .collect()
    }
}

impl SubtreeSource for StoredTree<'_> {
    type Error = Error;

    fn perfect(&mut self, level: u32, index: u64) -> Result<Hash> {
        if level >= STORED_LEVEL {
            let hash: Option<Vec<u8>> = self
                .conn
                .prepare_cached("SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2")?
                .query_row(
                    params![level, i64::try_from(index).unwrap_or(i64::MAX)],
                    |r| r.get(0),
                )
                .optional()?;
            return match hash {
                Some(h) => hash_of(h, &format!("log node {level}/{index}")),
                None => Err(Error::Invalid(format!(
                    "the log's node {level}/{index} is missing: run gavel verify"
                ))),
            };
        }
        let start = index << level;
        let leaves = self.leaves(start, start + (1 << level))?;
        Ok(merkle::root_of_leaves(&leaves))
    }
}

impl Store {
    /// Where the log key is; it is read (or made) on the first write that
    /// needs it. Without one the store appends but signs no checkpoint
    /// (in-memory stores for tests).
    pub fn use_log_key(&mut self, path: PathBuf, may_create: bool) {
        self.log_key = KeySlot {
            location: Some(Ok((path, may_create))),
            loaded: std::cell::OnceCell::new(),
        };
    }

    /// The log key where `tlog::key::default_location` says (a missing
    /// home directory is reported when a write needs the key).
    pub fn use_default_log_key(&mut self) {
        self.log_key = KeySlot {
            location: Some(crate::tlog::key::default_location().map_err(|e| e.to_string())),
            loaded: std::cell::OnceCell::new(),
        };
    }

    /// The log key, loaded on first use; `None` when none was set.
    pub fn log_key(&self) -> Result<Option<Arc<LogKey>>> {
        if let Some(k) = self.log_key.loaded.get() {
            return Ok(Some(k.clone()));
        }
        match &self.log_key.location {
            None => Ok(None),
            Some(Err(e)) => Err(Error::Invalid(e.clone())),
            Some(Ok((path, may_create))) => {
                let key = Arc::new(LogKey::load(path, *may_create)?);
                Ok(Some(self.log_key.loaded.get_or_init(|| key).clone()))
            }
        }
    }

    /// The log key file, when the store made it on this run (to say so).
    pub fn log_key_created(&self) -> Option<&Path> {
        self.log_key
            .loaded
            .get()
            .filter(|k| k.created)
            .map(|k| k.path.as_path())
    }

    pub fn log_head(&self) -> Result<LogHead> {
        read_head(self.conn())
    }

    /// Every recorded checkpoint, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, size, root, note, reason, created_at FROM checkpoints ORDER BY id",
        )?;
        let rows: Vec<_> = stmt
            .query_map([], checkpoint_row)?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter().map(to_checkpoint).collect()
    }

    pub fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>> {
        let row = self
            .conn()
            .prepare_cached(
                "SELECT id, size, root, note, reason, created_at FROM checkpoints ORDER BY id DESC LIMIT 1",
            )?
            .query_row([], checkpoint_row)
            .optional()?;
        row.map(to_checkpoint).transpose()
    }

    /// A checkpoint of the whole log as it is now, signed with the log key:
    /// the latest recorded one when it still covers the log, else a new one
    /// recorded for `reason`.
    pub fn checkpoint_now(&self, reason: &str) -> Result<StoredCheckpoint> {
        let head = self.log_head()?;
        if let Some(latest) = self.latest_checkpoint()?
            && latest.size == head.size()
            && latest.root == head.root()
        {
            return Ok(latest);
        }
        self.record_checkpoint(reason)
    }

    /// A new checkpoint for `reason` when the store has a log key (a replay
    /// batch, a sign-off); `None` without one (in-memory stores).
    pub fn checkpoint_if_keyed(&self, reason: &str) -> Result<Option<StoredCheckpoint>> {
        if self.log_key.location.is_none() {
            return Ok(None);
        }
        self.record_checkpoint(reason).map(Some)
    }

    /// Signs and records a checkpoint of the log as it is now.
    pub fn record_checkpoint(&self, reason: &str) -> Result<StoredCheckpoint> {
        let key = self.log_key()?.ok_or_else(|| {
            Error::Invalid("no log key is set for this store: nothing can sign a checkpoint".into())
        })?;
        // Through `&self`: the head read and the row written under one
        // write lock all the same.
        let tx = rusqlite::Transaction::new_unchecked(
            self.conn(),
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let head = read_head(&tx)?;
        let cp = record_checkpoint(&tx, &head, &key.signer, reason)?;
        tx.commit()?;
        Ok(cp)
    }

    /// The root of the log's first `size` leaves, from stored hashes.
    pub fn root_at(&self, size: u64) -> Result<Hash> {
        if size == 0 {
            return Ok(merkle::empty_root());
        }
        merkle::range_hash(&mut StoredTree::new(self.conn()), 0, size)
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        merkle::inclusion_proof(&mut StoredTree::new(self.conn()), index, size)
    }

    /// The consistency proof from the tree of `old` leaves to that of `new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>> {
        merkle::consistency_proof(&mut StoredTree::new(self.conn()), old, new)
    }

    pub fn log_status(&self) -> Result<LogStatus> {
        let head = self.log_head()?;
        let exported = match self.last_export()? {
            Some((cp, to, at)) => {
                let extends =
                    cp.size <= head.size() && self.root_at(cp.size).is_ok_and(|r| r == cp.root);
                Some((cp, to, at, extends))
            }
            None => None,
        };
        Ok(LogStatus {
            size: head.size(),
            latest: self.latest_checkpoint()?,
            exported,
        })
    }

    /// Records that a checkpoint was written out (for an auditor to keep).
    pub fn record_export(&self, checkpoint_id: i64, to: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO checkpoint_exports (checkpoint_id, written_to, exported_at) VALUES (?1, ?2, ?3)",
            params![checkpoint_id, to, self.now_stamp()],
        )?;
        Ok(())
    }

    /// The checkpoint last written out, with where and when.
    pub fn last_export(&self) -> Result<Option<(StoredCheckpoint, String, String)>> {
        let row = self
            .conn()
            .query_row(
                "SELECT c.id, c.size, c.root, c.note, c.reason, c.created_at, e.written_to, e.exported_at
                 FROM checkpoint_exports e JOIN checkpoints c ON c.id = e.checkpoint_id
                 ORDER BY e.id DESC LIMIT 1",
                [],
                |r| Ok((checkpoint_row(r)?, r.get::<_, String>(6)?, r.get::<_, String>(7)?)),
            )
            .optional()?;
        row.map(|(cp, to, at)| Ok((to_checkpoint(cp)?, to, at)))
            .transpose()
    }
}
