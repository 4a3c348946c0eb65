//! Names and metadata of the coordination blobs: `locks/<role>`, `journals/<role>/<op>.jsonl`,
//! `drills/<role>/<id>.json`, `audit/YYYY-MM-DD.jsonl`, and the lock holder as blob metadata
//! (host, pid, operator, opid, since, epoch).
//!
//! Pure: no calls.

use azure_core::request_options::Metadata;
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::store::lock::LockInfo;

/// A name safe as one blob path segment: the same rule as a local file name.
pub(crate) fn segment(name: &str) -> String {
    crate::store::state_dir::file_stem(name)
}

/// `locks/<role>`.
pub(crate) fn lock(role: &str) -> String {
    format!("locks/{}", segment(role))
}

/// `journals/<role>/<op>.jsonl`.
pub(crate) fn journal(role: &str, op_id: &str) -> String {
    format!("journals/{}/{}.jsonl", segment(role), segment(op_id))
}

/// `journals/<role>/`.
pub(crate) fn journals_of(role: &str) -> String {
    format!("journals/{}/", segment(role))
}

/// `drills/<role>/<id>.json`.
pub(crate) fn drill(role: &str, drill_id: &str) -> String {
    format!("drills/{}/{}.json", segment(role), segment(drill_id))
}

/// `audit/YYYY-MM-DD.jsonl` of the UTC day of `at`.
pub(crate) fn audit(at: OffsetDateTime) -> String {
    let d = at.to_offset(time::UtcOffset::UTC).date();
    format!(
        "audit/{:04}-{:02}-{:02}.jsonl",
        d.year(),
        u8::from(d.month()),
        d.day()
    )
}

/// The holder as lock blob metadata. Values are percent-encoded: metadata must be ASCII.
pub(crate) fn lock_metadata(info: &LockInfo, epoch: u64) -> Metadata {
    let mut m = Metadata::new();
    m.insert("host", enc(&info.host));
    m.insert("pid", info.pid.to_string());
    m.insert("operator", enc(&info.who));
    if let Some(op) = &info.op_id {
        m.insert("opid", enc(op));
    }
    m.insert("since", info.since.format(&Rfc3339).unwrap_or_default());
    m.insert("epoch", epoch.to_string());
    m
}

/// The holder and epoch read back from metadata (`None` when it names no holder).
pub(crate) fn parse_lock(m: &HashMap<String, String>) -> (Option<LockInfo>, u64) {
    let epoch = m.get("epoch").and_then(|e| e.parse().ok()).unwrap_or(0);
    let info = (|| {
        Some(LockInfo {
            who: dec(m.get("operator")?),
            host: dec(m.get("host")?),
            pid: m.get("pid")?.parse().ok()?,
            since: OffsetDateTime::parse(m.get("since")?, &Rfc3339).ok()?,
            op_id: m.get("opid").map(|o| dec(o)),
        })
    })();
    (info, epoch)
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn dec(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map_or_else(|| s.to_string(), |(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_in_their_folder() {
        assert_eq!(lock("Web/../x"), "locks/web_.._x");
        assert_eq!(journal("db", "op 1"), "journals/db/op_1.jsonl");
        assert_eq!(drill("db", ".."), "drills/db/_...json");
        let at = time::macros::datetime!(2026-12-06 23:59 -02:00);
        assert_eq!(audit(at), "audit/2026-12-07.jsonl");
    }

    #[test]
    fn the_holder_round_trips_through_metadata() {
        let info = LockInfo {
            who: "on call".to_string(),
            host: "jump-2".to_string(),
            pid: 42,
            since: time::macros::datetime!(2026-12-06 10:00 UTC),
            op_id: Some("op-7".to_string()),
        };
        let m = lock_metadata(&info, 3);
        let map: HashMap<String, String> = ["host", "pid", "operator", "opid", "since", "epoch"]
            .iter()
            .filter_map(|k| Some((k.to_string(), String::from_utf8(m.get(k)?.to_vec()).ok()?)))
            .collect();
        assert_eq!(parse_lock(&map), (Some(info), 3));
    }
}
