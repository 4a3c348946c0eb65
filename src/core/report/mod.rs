//! Operation timelines as Markdown, from recorded timestamps only: [`timeline_rows`] (one row
//! per step, each *charged* from the end of the previous step to its own end, so the steps add
//! up to the leg time `Begun` → `Finished`) and [`operation_timeline_markdown`] (one operation,
//! the cockpit's and `failover::timeline`'s export). The drill report (`drill::report`) nests
//! these sections; keeping them here lets both `failover` and `drill` use them without
//! importing each other. Pure: no clock, no I/O.

mod operation;
mod timeline;

pub use operation::{charged_total_ms, operation_timeline_markdown, outcome_word, section};
pub use timeline::{clock, human_ms, leg_ms, millis, stamp, timeline_rows, TimelineRow};
