//! Shared by the benchmarks: the synthetic decision log.

use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes `n` synthetic events with ~500-byte inputs (the size);
/// `varied` spreads them over outcomes and versions, as a browsing store has.
pub fn write_synthetic_log(path: &Path, n: usize, varied: bool) -> u64 {
    const OUTCOMES: [&str; 4] = ["APPROVE", "BLOCK", "ESCALATE", "APPROVE_WITH_AUDIT"];
    const VERSIONS: [&str; 3] = ["1.0.0", "1.1.0", "2.0.0"];
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut bytes = 0u64;
    for i in 0..n {
        let ns = 1_790_812_800_000_000_000_i64 + i as i64 * 1_000_000;
        let e = serde_json::json!({
            "decision_id": format!("synthetic-{i:09}"),
            "path": "gfr/procurement/decision",
            "input": {
                "request_id": format!("REQ-{i:08}"),
                "department": "Department of Expenditure",
                "subject": "Supply of laboratory reagents for the regional testing centre",
                "contract_value": 100_000 + (i % 900) * 1000,
                "procurement_method": "limited_tender",
                "quotations": [
                    {"vendor_name": "Alpha Scientific", "vendor_pan": "AAACA1234A", "amount": 250000, "responsive": true},
                    {"vendor_name": "Beta Labs", "vendor_pan": "AAACB1234B", "amount": 262000, "responsive": true},
                    {"vendor_name": "Gamma Traders", "vendor_pan": "AAACG1234C", "amount": 270500, "responsive": i % 7 != 0}
                ],
                "budget": {"verified": true, "head_of_account": "2052-00-090", "available_balance": 900000}
            },
            "result": {"outcome": if varied { OUTCOMES[i % 4] } else { "APPROVE" }, "reasons": []},
            "timestamp": gavel::engine::clock::format_rfc3339_ns(ns),
            "bundles": {"gfr-procurement": {"revision": if varied { VERSIONS[i % 3] } else { "1.0.0" }}},
            "labels": {"id": "bench", "version": "1.0"},
            "metrics": {"timer_rego_query_eval_ns": 51234}
        });
        let line = serde_json::to_string(&e).unwrap();
        bytes += line.len() as u64 + 1;
        writeln!(out, "{line}").unwrap();
    }
    out.flush().unwrap();
    bytes
}

/// The peak resident memory so far (Linux `VmHWM`), in MB.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|n| n.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
