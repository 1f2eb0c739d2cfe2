//! RFC 9162 (Certificate Transparency 2.0, section 2.1) Merkle tree hashing,
//! inclusion and consistency proofs, and their verification.
//!
//! Everything here is pure: proofs read subtree hashes through
//! [`SubtreeSource`], so the same code serves the store, the tests and
//! offline verifiers.

use sha2::{Digest, Sha256};
use std::fmt;

/// A SHA-256 digest: leaf hashes, interior node hashes and tree roots.
pub type Hash = [u8; 32];

/// Hashes a leaf; the 0x00 prefix keeps leaves from being passed off as
/// interior nodes (RFC 9162 2.1.1).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// Hashes an interior node; the 0x01 prefix is the other half of the
/// leaf/node domain separation.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree, which RFC 9162 defines as SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest(b"").into()
}

/// The largest power of two strictly below `n`; the split point of MTH.
/// Only meaningful for `n >= 2`.
fn split_point(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// Short hex for error messages: enough to tell hashes apart, short enough to read.
fn short(h: &Hash) -> String {
    hex::encode(&h[..6])
}

/// Sizes at or above this are refused when loading a range, so that `append`
/// (which cannot fail) can never overflow the size counter.
const MAX_SIZE: u64 = 1 << 63;

/// The right edge of a tree ("compact range" / frontier): the roots of its
/// perfect subtrees, largest (leftmost) first; `hashes.len() == size.count_ones()`.
///
/// Keeping only the edge lets an appender maintain the root in O(log n)
/// memory without rereading old leaves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    hashes: Vec<Hash>,
}

impl CompactRange {
    /// The edge of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds an edge from stored parts; the count check catches a
    /// truncated or mismatched record before it corrupts later roots.
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Result<Self, String> {
        if size >= MAX_SIZE {
            return Err(format!("tree size {size} is too large (limit 2^63 - 1)"));
        }
        let want = size.count_ones() as usize;
        if hashes.len() != want {
            return Err(format!(
                "a tree of size {size} has {want} subtree hashes on its right edge, not {}",
                hashes.len()
            ));
        }
        Ok(Self { size, hashes })
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect subtree roots, largest (leftmost) first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Appends one leaf hash. For every perfect subtree this append completes
    /// at level >= 1 calls `completed(level, index, &hash)`, where the subtree
    /// covers leaves `[index << level, (index + 1) << level)`; the store saves
    /// those so proofs never need to rehash whole ranges.
    ///
    /// Allocation-free apart from the vector's amortised growth.
    pub fn append(&mut self, leaf: Hash, mut completed: impl FnMut(u32, u64, &Hash)) {
        let mut hash = leaf;
        let mut index = self.size;
        let mut level = 0u32;
        // Each trailing one bit of the old size is a perfect subtree on the
        // edge that the new leaf now pairs up with.
        while index & 1 == 1 {
            // The count invariant guarantees a hash here; stopping early
            // would only be reachable if that invariant were broken.
            let Some(left) = self.hashes.pop() else { break };
            hash = node_hash(&left, &hash);
            level += 1;
            index >>= 1;
            completed(level, index, &hash);
        }
        self.hashes.push(hash);
        self.size += 1;
    }

    /// MTH of all leaves so far (`empty_root()` when the size is 0): the edge
    /// folded from the right, exactly as RFC 9162's recursion groups it.
    pub fn root(&self) -> Hash {
        let mut rev = self.hashes.iter().rev();
        match rev.next() {
            None => empty_root(),
            Some(last) => rev.fold(*last, |acc, h| node_hash(h, &acc)),
        }
    }

    /// 8-byte big-endian size, then the hashes: a fixed, self-checking layout
    /// for persisting the edge.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 32 * self.hashes.len());
        out.extend_from_slice(&self.size.to_be_bytes());
        for h in &self.hashes {
            out.extend_from_slice(h);
        }
        out
    }

    /// Inverse of [`CompactRange::to_bytes`]; rejects any length that does not
    /// match the size's hash count.
    pub fn from_bytes(b: &[u8]) -> Result<Self, String> {
        let Some((size_bytes, rest)) = b.split_first_chunk::<8>() else {
            return Err(format!(
                "compact range record is {} bytes, shorter than its 8-byte size",
                b.len()
            ));
        };
        let size = u64::from_be_bytes(*size_bytes);
        if rest.len() % 32 != 0 {
            return Err(format!(
                "compact range record has {} bytes of hashes, not a multiple of 32",
                rest.len()
            ));
        }
        let hashes = rest
            .chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                h
            })
            .collect();
        Self::from_parts(size, hashes)
    }
}

/// Where proofs read subtree hashes from (the store implements it from stored
/// leaf hashes and stored interior nodes).
pub trait SubtreeSource {
    /// Why a hash could not be produced (I/O, missing data, ...).
    type Error;
    /// The hash of the perfect, aligned subtree covering leaves
    /// `[index << level, (index + 1) << level)`; level 0 is a leaf hash.
    fn perfect(&mut self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// An in-memory [`SubtreeSource`] over all leaf hashes; each request rehashes
/// its range, which is fine for tests and small trees.
#[derive(Clone, Copy, Debug)]
pub struct LeafSlice<'a>(pub &'a [Hash]);

impl SubtreeSource for LeafSlice<'_> {
    /// A request that reaches past the slice (a bad size from the caller).
    type Error = String;

    fn perfect(&mut self, level: u32, index: u64) -> Result<Hash, String> {
        let out_of_range = || {
            format!(
                "subtree at level {level}, index {index} reaches past the {} leaves held",
                self.0.len()
            )
        };
        if level >= 64 {
            return Err(out_of_range());
        }
        let start = u128::from(index) << level;
        let end = start + (1u128 << level);
        if end > self.0.len() as u128 {
            return Err(out_of_range());
        }
        // Both bounds fit in usize: they are at most the slice length.
        Ok(root_of_leaves(&self.0[start as usize..end as usize]))
    }
}

/// MTH(D[start:end]) read from as few perfect subtrees as possible.
///
/// Ranges whose start is aligned to the largest power of two not above their
/// length (every range RFC 9162's proof recursion produces) are one perfect
/// subtree per set bit of the length, folded from the right. Other ranges are
/// split at the largest power of two smaller than the length, as MTH says.
/// An empty range hashes to `empty_root()`.
pub fn range_hash<S: SubtreeSource>(src: &mut S, start: u64, end: u64) -> Result<Hash, S::Error> {
    if end <= start {
        return Ok(empty_root());
    }
    let len = end - start;
    let top = 63 - len.leading_zeros();
    if start & ((1u64 << top) - 1) == 0 {
        // Walk the set bits from the smallest (rightmost) subtree upwards;
        // after clearing a bit, `rest` is the offset of that subtree.
        let mut rest = len;
        let mut acc: Option<Hash> = None;
        while rest != 0 {
            let level = rest.trailing_zeros();
            rest &= rest - 1;
            let h = src.perfect(level, (start + rest) >> level)?;
            acc = Some(match acc {
                None => h,
                Some(right) => node_hash(&h, &right),
            });
        }
        return Ok(acc.unwrap_or_else(empty_root));
    }
    let k = split_point(len);
    let left = range_hash(src, start, start + k)?;
    let right = range_hash(src, start + k, end)?;
    Ok(node_hash(&left, &right))
}

/// RFC 9162 2.1.3.1 PATH(m, D[n]): the sibling hashes from the leaf up to the
/// root. The caller guarantees `index < size` (otherwise the result is
/// meaningless but no panic occurs).
pub fn inclusion_proof<S: SubtreeSource>(
    src: &mut S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, S::Error> {
    let mut proof = Vec::with_capacity(64);
    let (mut lo, mut hi) = (0u64, size);
    // Descend from the root, recording the subtree we do not enter; the RFC
    // lists those bottom-up, hence the final reverse.
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            proof.push(range_hash(src, lo + k, hi)?);
            hi = lo + k;
        } else {
            let level = k.trailing_zeros();
            proof.push(src.perfect(level, lo >> level)?);
            lo += k;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// RFC 9162 2.1.4.1 PROOF(m, D[n]). The caller guarantees
/// `0 < old_size <= new_size`; the proof is empty when the sizes are equal
/// (and, defensively, for any size pair outside that range).
pub fn consistency_proof<S: SubtreeSource>(
    src: &mut S,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, S::Error> {
    if old_size == 0 || old_size >= new_size {
        return Ok(Vec::new());
    }
    let mut proof = Vec::with_capacity(64);
    let (mut lo, mut hi) = (0u64, new_size);
    // `whole` is SUBPROOF's b flag: true while the old tree is still a
    // prefix of the subtree we are in, so its root need not be sent.
    let mut whole = true;
    loop {
        let len = hi - lo;
        let m = old_size - lo;
        if m == len {
            if !whole {
                proof.push(range_hash(src, lo, hi)?);
            }
            break;
        }
        let k = split_point(len);
        if m <= k {
            proof.push(range_hash(src, lo + k, hi)?);
            hi = lo + k;
        } else {
            let level = k.trailing_zeros();
            proof.push(src.perfect(level, lo >> level)?);
            lo += k;
            whole = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// Why a proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    IndexOutOfRange { index: u64, size: u64 },
    /// The "new" tree is smaller than the "old" one.
    SizeDecreased { old_size: u64, new_size: u64 },
    /// The proof does not have the number of hashes these sizes require.
    WrongProofLength { got: usize, want: usize },
    /// The proof reconstructs a different (new) root than the one claimed.
    RootMismatch { computed: Hash, expected: Hash },
    /// A consistency proof reconstructs a different old root than the one claimed.
    OldRootMismatch { computed: Hash, expected: Hash },
    /// Two tree heads of the same size disagree on the root.
    SameSizeRootsDiffer {
        size: u64,
        old_root: Hash,
        new_root: Hash,
    },
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IndexOutOfRange { index, size } => {
                write!(
                    f,
                    "leaf index {index} is out of range for a tree of size {size}"
                )
            }
            Self::SizeDecreased { old_size, new_size } => write!(
                f,
                "the new tree size {new_size} is smaller than the old tree size {old_size}"
            ),
            Self::WrongProofLength { got, want } => write!(
                f,
                "the proof has {got} hashes, but these tree sizes need exactly {want}"
            ),
            Self::RootMismatch { computed, expected } => write!(
                f,
                "the proof leads to root {}, not the checkpoint's {}",
                short(computed),
                short(expected)
            ),
            Self::OldRootMismatch { computed, expected } => write!(
                f,
                "the proof leads to old root {}, not the old checkpoint's {}",
                short(computed),
                short(expected)
            ),
            Self::SameSizeRootsDiffer {
                size,
                old_root,
                new_root,
            } => write!(
                f,
                "two trees of size {size} have different roots {} and {}",
                short(old_root),
                short(new_root)
            ),
        }
    }
}

impl std::error::Error for ProofError {}

/// Hash counts of an inclusion proof: `(inner, border)`, the levels below and
/// above the point where the leaf's path leaves the tree's right edge.
fn inclusion_parts(index: u64, size: u64) -> (u32, u32) {
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner, border)
}

/// RFC 9162 2.1.3.2: checks that `leaf` is at `index` in the tree of `size`
/// leaves with root `root`. The length is checked up front so a malformed
/// proof gets a precise error rather than a root mismatch.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (inner, border) = inclusion_parts(index, size);
    let want = (inner + border) as usize;
    if proof.len() != want {
        return Err(ProofError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    let mut fn_ = index;
    let mut sn = size - 1;
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::WrongProofLength {
                got: proof.len(),
                want,
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    if r != *root {
        return Err(ProofError::RootMismatch {
            computed: r,
            expected: *root,
        });
    }
    Ok(())
}

/// RFC 9162 2.1.4.2: checks that the tree of `new_size` leaves with root
/// `new_root` extends the tree of `old_size` leaves with root `old_root`.
///
/// Outside the RFC's `0 < old_size < new_size`: equal sizes need an empty
/// proof and equal roots; `old_size == 0` needs an empty proof and `old_root`
/// equal to `empty_root()` (the only root a size-0 tree can have).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizeDecreased { old_size, new_size });
    }
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength {
                got: proof.len(),
                want: 0,
            });
        }
        if old_size == 0 {
            let empty = empty_root();
            if *old_root != empty {
                return Err(ProofError::OldRootMismatch {
                    computed: empty,
                    expected: *old_root,
                });
            }
        } else if old_root != new_root {
            return Err(ProofError::SameSizeRootsDiffer {
                size: old_size,
                old_root: *old_root,
                new_root: *new_root,
            });
        }
        return Ok(());
    }

    // Expected length: the inclusion path of the old tree's last leaf, minus
    // the levels covered by the old tree's largest perfect right subtree,
    // plus that subtree's root unless it is the whole old tree.
    let (inner, border) = inclusion_parts(old_size - 1, new_size);
    let shift = old_size.trailing_zeros();
    let seeded = old_size.is_power_of_two();
    let want = (inner.saturating_sub(shift) + border) as usize + usize::from(!seeded);
    if proof.len() != want {
        return Err(ProofError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }

    // Step 2: an old tree that is a perfect subtree is its own first hash.
    let (seed, rest) = if seeded {
        (*old_root, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Err(ProofError::WrongProofLength { got: 0, want }),
        }
    };
    let mut fn_ = old_size - 1;
    let mut sn = new_size - 1;
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let mut fr = seed;
    let mut sr = seed;
    for c in rest {
        if sn == 0 {
            return Err(ProofError::WrongProofLength {
                got: proof.len(),
                want,
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch {
            computed: fr,
            expected: *old_root,
        });
    }
    if sr != *new_root {
        return Err(ProofError::RootMismatch {
            computed: sr,
            expected: *new_root,
        });
    }
    Ok(())
}

/// Straightforward recursive MTH (RFC 9162 2.1.1): slow but obviously right,
/// the reference the faster code is tested against.
pub fn root_of_leaves(leaves: &[Hash]) -> Hash {
    match leaves {
        [] => empty_root(),
        [only] => *only,
        _ => {
            let k = split_point(leaves.len() as u64) as usize;
            node_hash(&root_of_leaves(&leaves[..k]), &root_of_leaves(&leaves[k..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn h(s: &str) -> Hash {
        let v = hex::decode(s).expect("test hex");
        v.try_into().expect("32 bytes")
    }

    /// The 8 standard test leaves of the CT / transparency-dev test suites.
    fn ct_leaves() -> Vec<Hash> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|s| leaf_hash(&hex::decode(s).expect("test hex")))
        .collect()
    }

    /// Roots of the trees of size 0..=8 over `ct_leaves()`.
    fn ct_roots() -> Vec<Hash> {
        [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ]
        .iter()
        .map(|s| h(s))
        .collect()
    }

    fn numbered_leaves(n: usize) -> Vec<Hash> {
        (0..n as u64).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn ok<T>(r: Result<T, String>) -> T {
        r.expect("in-range request")
    }

    #[test]
    fn ct_leaf_and_node_hashes() {
        let leaves = ct_leaves();
        let level0 = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
        ];
        for (leaf, want) in leaves.iter().zip(level0) {
            assert_eq!(*leaf, h(want));
        }
        let level1 = [
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        ];
        let mut src = LeafSlice(&leaves);
        for (i, want) in level1.iter().enumerate() {
            assert_eq!(node_hash(&leaves[2 * i], &leaves[2 * i + 1]), h(want));
            assert_eq!(ok(src.perfect(1, i as u64)), h(want));
        }
        assert_eq!(
            ok(src.perfect(2, 1)),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")
        );
        assert_eq!(empty_root(), ct_roots()[0]);
    }

    #[test]
    fn ct_roots_and_compact_ranges() {
        let leaves = ct_leaves();
        let roots = ct_roots();
        let mut cr = CompactRange::new();
        for size in 0..=8 {
            assert_eq!(root_of_leaves(&leaves[..size]), roots[size], "size {size}");
            assert_eq!(cr.root(), roots[size], "size {size}");
            assert_eq!(cr.size(), size as u64);
            if size < 8 {
                cr.append(leaves[size], |_, _, _| {});
            }
        }
        // transparency-dev's compact tree for size 7: nh[2][0], nh[1][2], nh[0][6].
        let mut cr7 = CompactRange::new();
        for leaf in &leaves[..7] {
            cr7.append(*leaf, |_, _, _| {});
        }
        assert_eq!(
            cr7.hashes(),
            &[
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            ]
        );
    }

    #[test]
    fn compact_range_matches_reference_up_to_300() {
        let leaves = numbered_leaves(300);
        let mut cr = CompactRange::new();
        for size in 0..=300 {
            assert_eq!(cr.root(), root_of_leaves(&leaves[..size]), "size {size}");
            assert_eq!(cr.hashes().len(), (size as u64).count_ones() as usize);
            if size < 300 {
                cr.append(leaves[size], |_, _, _| {});
            }
        }
    }

    #[test]
    fn completed_reports_exactly_the_perfect_subtrees() {
        let n = 300usize;
        let leaves = numbered_leaves(n);
        let mut cr = CompactRange::new();
        let mut seen = BTreeSet::new();
        for (i, leaf) in leaves.iter().enumerate() {
            let mut events = Vec::new();
            cr.append(*leaf, |level, index, hash| {
                events.push((level, index, *hash))
            });
            for (level, index, hash) in events {
                let start = (index << level) as usize;
                let end = ((index + 1) << level) as usize;
                assert!(level >= 1);
                assert_eq!(end, i + 1, "a completed subtree ends at the new leaf");
                assert_eq!(hash, root_of_leaves(&leaves[start..end]));
                assert!(seen.insert((level, index)), "reported twice");
            }
        }
        let mut want = BTreeSet::new();
        for level in 1..64u32 {
            let width = 1usize << level;
            if width > n {
                break;
            }
            for index in 0..(n / width) as u64 {
                want.insert((level, index));
            }
        }
        assert_eq!(seen, want);
    }

    #[test]
    fn compact_range_serialisation() {
        let leaves = numbered_leaves(45);
        let mut cr = CompactRange::new();
        for leaf in &leaves {
            let bytes = cr.to_bytes();
            assert_eq!(bytes.len(), 8 + 32 * cr.hashes().len());
            assert_eq!(CompactRange::from_bytes(&bytes), Ok(cr.clone()));
            cr.append(*leaf, |_, _, _| {});
        }
        let bytes = cr.to_bytes();
        let back = CompactRange::from_bytes(&bytes).expect("round trip");
        assert_eq!(back.root(), root_of_leaves(&leaves));

        assert!(CompactRange::from_bytes(&bytes[..7]).is_err());
        assert!(CompactRange::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(CompactRange::from_bytes(&bytes[..bytes.len() - 32]).is_err());
        let mut extra = bytes.clone();
        extra.extend_from_slice(&[0u8; 32]);
        assert!(CompactRange::from_bytes(&extra).is_err());
        assert!(CompactRange::from_parts(3, vec![[0u8; 32]]).is_err());
        assert!(CompactRange::from_parts(4, vec![[0u8; 32]]).is_ok());
        assert!(CompactRange::from_parts(0, vec![]).is_ok());
        assert!(CompactRange::from_parts(u64::MAX, vec![[0u8; 32]; 64]).is_err());
        assert_eq!(CompactRange::from_bytes(&[0u8; 8]), Ok(CompactRange::new()));

        // Appending to a loaded range continues the same tree.
        let mut part = CompactRange::new();
        for leaf in &leaves[..20] {
            part.append(*leaf, |_, _, _| {});
        }
        let mut resumed = CompactRange::from_bytes(&part.to_bytes()).expect("round trip");
        for leaf in &leaves[20..] {
            resumed.append(*leaf, |_, _, _| {});
        }
        assert_eq!(resumed, cr);
    }

    /// Counts requests so tests can check how few subtrees are read.
    struct Counting<'a> {
        inner: LeafSlice<'a>,
        calls: usize,
    }

    impl SubtreeSource for Counting<'_> {
        type Error = String;
        fn perfect(&mut self, level: u32, index: u64) -> Result<Hash, String> {
            self.calls += 1;
            self.inner.perfect(level, index)
        }
    }

    #[test]
    fn range_hash_matches_reference() {
        let leaves = numbered_leaves(40);
        for start in 0..40usize {
            for end in start..=40usize {
                let mut src = Counting {
                    inner: LeafSlice(&leaves),
                    calls: 0,
                };
                let got = ok(range_hash(&mut src, start as u64, end as u64));
                assert_eq!(got, root_of_leaves(&leaves[start..end]), "[{start}, {end})");
                let len = (end - start) as u64;
                if len > 0 && start % (1 << (63 - len.leading_zeros())) == 0 {
                    assert_eq!(src.calls, len.count_ones() as usize, "[{start}, {end})");
                }
            }
        }
    }

    #[test]
    fn leaf_slice_rejects_out_of_range() {
        let leaves = numbered_leaves(5);
        let mut src = LeafSlice(&leaves);
        assert!(src.perfect(0, 4).is_ok());
        assert!(src.perfect(0, 5).is_err());
        assert!(src.perfect(2, 1).is_err());
        assert!(src.perfect(3, 0).is_err());
        assert!(src.perfect(64, 0).is_err());
        assert!(src.perfect(63, u64::MAX).is_err());
        assert!(inclusion_proof(&mut src, 0, 9).is_err());
    }

    #[test]
    fn ct_inclusion_vectors() {
        let leaves = ct_leaves();
        let roots = ct_roots();
        // (0-based index, size, proof) from transparency-dev/merkle.
        let vectors: [(u64, u64, &[&str]); 6] = [
            (0, 1, &[]),
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                3,
                &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
            ),
            (
                1,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
            (
                6,
                7,
                &[
                    // Not in the upstream list; checked against the reference below.
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
        ];
        for (index, size, want) in vectors {
            let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
            let got = ok(inclusion_proof(&mut LeafSlice(&leaves), index, size));
            assert_eq!(got, want, "index {index} size {size}");
            let root = &roots[size as usize];
            verify_inclusion(index, size, &leaves[index as usize], &want, root)
                .expect("known-good proof");
        }
    }

    #[test]
    fn ct_consistency_vectors() {
        let leaves = ct_leaves();
        let roots = ct_roots();
        let vectors: [(u64, u64, &[&str]); 5] = [
            (1, 1, &[]),
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
            (
                6,
                7,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
        ];
        for (m, n, want) in vectors {
            let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
            let got = ok(consistency_proof(&mut LeafSlice(&leaves), m, n));
            assert_eq!(got, want, "{m} -> {n}");
            verify_consistency(m, n, &roots[m as usize], &roots[n as usize], &want)
                .expect("known-good proof");
        }
    }

    /// Flips one bit in byte `byte` of every proof element in turn and checks
    /// that `check` rejects each variant.
    fn each_byte_flip(
        proof: &[Hash],
        byte: impl Fn(usize) -> usize,
        mut check: impl FnMut(&[Hash]),
    ) {
        let mut bad = proof.to_vec();
        for i in 0..bad.len() {
            let b = byte(i) % 32;
            bad[i][b] ^= 0x10;
            check(&bad);
            bad[i][b] ^= 0x10;
        }
    }

    #[test]
    fn inclusion_proofs_exhaustive() {
        let leaves = numbered_leaves(70);
        let bogus = leaf_hash(b"not in the tree");
        for size in 1..=70u64 {
            let root = root_of_leaves(&leaves[..size as usize]);
            for index in 0..size {
                let leaf = &leaves[index as usize];
                let proof = ok(inclusion_proof(&mut LeafSlice(&leaves), index, size));
                verify_inclusion(index, size, leaf, &proof, &root).expect("valid proof");

                // Every byte of every element, for the smaller trees; one
                // rotating byte per element beyond that keeps the test fast.
                let bytes: Vec<usize> = if size <= 24 {
                    (0..32).collect()
                } else {
                    vec![(index as usize * 7 + size as usize) % 32]
                };
                for &b in &bytes {
                    each_byte_flip(
                        &proof,
                        |i| b + i,
                        |bad| {
                            assert!(verify_inclusion(index, size, leaf, bad, &root).is_err());
                        },
                    );
                }
                assert!(verify_inclusion(index, size, &bogus, &proof, &root).is_err());
                assert!(verify_inclusion(index, size, leaf, &proof, &bogus).is_err());
                for other in 0..size {
                    if other != index {
                        assert!(
                            verify_inclusion(other, size, leaf, &proof, &root).is_err(),
                            "index {index} proof accepted for {other} (size {size})"
                        );
                    }
                }
                assert_eq!(
                    verify_inclusion(size, size, leaf, &proof, &root),
                    Err(ProofError::IndexOutOfRange { index: size, size })
                );
                let mut longer = proof.clone();
                longer.push(root);
                assert!(verify_inclusion(index, size, leaf, &longer, &root).is_err());
                if !proof.is_empty() {
                    let shorter = &proof[..proof.len() - 1];
                    assert!(verify_inclusion(index, size, leaf, shorter, &root).is_err());
                }
                // Another size, with that size's real root, must not verify.
                for other_size in [size - 1, size + 1] {
                    if other_size > index && other_size <= 70 {
                        let other_root = root_of_leaves(&leaves[..other_size as usize]);
                        assert!(
                            verify_inclusion(index, other_size, leaf, &proof, &other_root).is_err()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn consistency_proofs_exhaustive() {
        let leaves = numbered_leaves(70);
        let roots: Vec<Hash> = (0..=70).map(|n| root_of_leaves(&leaves[..n])).collect();
        let bogus = leaf_hash(b"not a root");
        for new in 1..=70u64 {
            for old in 1..=new {
                let (r1, r2) = (&roots[old as usize], &roots[new as usize]);
                let proof = ok(consistency_proof(&mut LeafSlice(&leaves), old, new));
                verify_consistency(old, new, r1, r2, &proof).expect("valid proof");
                if old == new {
                    assert!(proof.is_empty());
                    assert!(verify_consistency(old, new, r1, &bogus, &proof).is_err());
                    assert!(verify_consistency(old, new, r1, r2, &[bogus]).is_err());
                    continue;
                }
                let bytes: Vec<usize> = if new <= 24 {
                    (0..32).collect()
                } else {
                    vec![(old as usize * 5 + new as usize) % 32]
                };
                for &b in &bytes {
                    each_byte_flip(
                        &proof,
                        |i| b + i,
                        |bad| {
                            assert!(verify_consistency(old, new, r1, r2, bad).is_err());
                        },
                    );
                }
                assert!(verify_consistency(old, new, &bogus, r2, &proof).is_err());
                assert!(verify_consistency(old, new, r1, &bogus, &proof).is_err());
                assert!(verify_consistency(old, new, r2, r1, &proof).is_err());
                assert!(verify_consistency(old, new, r1, r2, &[]).is_err());
                assert!(verify_consistency(old, new, r1, r2, &proof[..proof.len() - 1]).is_err());
                let mut longer = proof.clone();
                longer.push(*r2);
                assert!(verify_consistency(old, new, r1, r2, &longer).is_err());
                let mut front = vec![proof[0]];
                front.extend_from_slice(&proof);
                assert!(verify_consistency(old, new, r1, r2, &front).is_err());
                for o in [old - 1, old + 1] {
                    if o >= 1 && o <= new && o != old {
                        let ro = &roots[o as usize];
                        assert!(
                            verify_consistency(o, new, ro, r2, &proof).is_err(),
                            "{o}->{new}"
                        );
                    }
                }
                for n in [new - 1, new + 1] {
                    if n >= old && n <= 70 && n != new {
                        let rn = &roots[n as usize];
                        assert!(
                            verify_consistency(old, n, r1, rn, &proof).is_err(),
                            "{old}->{n}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn consistency_edge_cases() {
        let empty = empty_root();
        let some = leaf_hash(b"x");
        assert_eq!(verify_consistency(0, 0, &empty, &empty, &[]), Ok(()));
        assert_eq!(verify_consistency(0, 5, &empty, &some, &[]), Ok(()));
        assert!(verify_consistency(0, 5, &some, &some, &[]).is_err());
        assert!(verify_consistency(0, 5, &empty, &some, &[empty]).is_err());
        assert_eq!(verify_consistency(3, 3, &some, &some, &[]), Ok(()));
        assert!(matches!(
            verify_consistency(3, 3, &some, &empty, &[]),
            Err(ProofError::SameSizeRootsDiffer { size: 3, .. })
        ));
        assert_eq!(
            verify_consistency(4, 3, &some, &some, &[]),
            Err(ProofError::SizeDecreased {
                old_size: 4,
                new_size: 3
            })
        );
        let leaves = numbered_leaves(3);
        assert_eq!(
            ok(consistency_proof(&mut LeafSlice(&leaves), 0, 3)),
            Vec::<Hash>::new()
        );
        assert_eq!(
            ok(consistency_proof(&mut LeafSlice(&leaves), 3, 3)),
            Vec::<Hash>::new()
        );
        assert_eq!(
            ok(inclusion_proof(&mut LeafSlice(&leaves), 0, 0)),
            Vec::<Hash>::new()
        );
        assert!(verify_inclusion(0, 0, &some, &[], &empty).is_err());
    }

    #[test]
    fn large_sizes_do_not_overflow() {
        // Length checks at the top of the u64 range must not panic.
        let x = leaf_hash(b"x");
        assert!(verify_inclusion(u64::MAX - 1, u64::MAX, &x, &[], &x).is_err());
        assert!(verify_inclusion(0, u64::MAX, &x, &[], &x).is_err());
        assert!(verify_consistency(1, u64::MAX, &x, &x, &[]).is_err());
        assert!(verify_consistency(u64::MAX - 1, u64::MAX, &x, &x, &[]).is_err());
        assert!(verify_consistency(1 << 63, u64::MAX, &x, &x, &[x; 3]).is_err());
    }

    #[test]
    fn error_messages() {
        let a = [0xabu8; 32];
        let b = [0x12u8; 32];
        let msg = ProofError::RootMismatch {
            computed: a,
            expected: b,
        }
        .to_string();
        assert_eq!(
            msg,
            "the proof leads to root abababababab, not the checkpoint's 121212121212"
        );
        let msg = ProofError::WrongProofLength { got: 2, want: 3 }.to_string();
        assert!(msg.contains("2 hashes") && msg.contains('3'), "{msg}");
    }
}
