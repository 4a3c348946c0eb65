//! Runs the cockpit on the fixed fixtures so it can be checked by eye (no Azure, no emulator).
//!
//! `cargo run --example ui_preview -- [operator|read-only|wall|demo] [THEME]`
//! The fleet cycles healthy → web master down → db split → healthy every 6 s; in demo mode
//! K/H/R (chaos) switch between healthy and master down; `h` shows the history fixtures
//! (`fixtures::history`). Quit with q or ctrl-c.

#[path = "../tests/ui_fixtures/mod.rs"]
mod ui_fixtures;
use baton::core::snapshot::{EngineEvent, FleetSnapshot, Severity};
use baton::protocol::{ChaosAction, ChaosRequest, Effect, EngineMsg, ReadEffect};
use baton::ui::{run, Keymap, Mode, Theme, ThemeEnv, UiOptions};
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};
use ui_fixtures::{self as fixtures, T0};

/// Moves every time in a fixture from T0 to now, so ages read as in real life.
fn retime(mut s: FleetSnapshot) -> FleetSnapshot {
    let shift = OffsetDateTime::now_utc() - T0;
    let inv = &mut s.inventory;
    inv.fetched_at = inv.fetched_at.map(|t| t + shift);
    inv.next_refresh_at = inv.next_refresh_at.map(|t| t + shift);
    for h in s.heartbeats.values_mut() {
        for p in [&mut h.vm, &mut h.service] {
            p.last_ok = p.last_ok.map(|t| t + shift);
            p.last_run = p.last_run.map(|t| t + shift);
        }
    }
    s
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let mode = match args.get(1).map(String::as_str) {
        Some("read-only") => Mode::ReadOnly,
        Some("wall") => Mode::Wall,
        Some("demo") => Mode::Demo,
        _ => Mode::Operator,
    };
    let theme_name = args.get(2).map_or("default", String::as_str);
    let theme = Theme::load_with_env(theme_name, &ThemeEnv::from_process())?;
    let (snap_tx, snapshots) = watch::channel(retime(fixtures::healthy()));
    let (event_tx, events) = mpsc::channel(64);
    let (effects, mut effect_rx) = mpsc::channel(16);
    let (ops_tx, ops) = mpsc::channel(16);
    if mode != Mode::Demo {
        let tx = snap_tx.clone();
        tokio::spawn(async move {
            let cycle = [fixtures::healthy, fixtures::master_down, fixtures::split];
            for i in 1.. {
                tokio::time::sleep(std::time::Duration::from_secs(6)).await;
                if tx.send(retime(cycle[i % cycle.len()]())).is_err() {
                    break;
                }
            }
        });
    }
    tokio::spawn(async move {
        while let Some(effect) = effect_rx.recv().await {
            let text = format!("preview engine got {effect:?}");
            if effect == Effect::Read(ReadEffect::LoadHistory) {
                // The fixtures always replay; a broken one simply leaves the overlay loading.
                if let Ok(history) = fixtures::history::history() {
                    let _ = ops_tx.send(EngineMsg::History(Ok(history))).await;
                }
            }
            let next = match effect {
                Effect::Chaos(ChaosRequest {
                    action: ChaosAction::Heal,
                    ..
                }) => Some(fixtures::healthy()),
                Effect::Chaos(ChaosRequest { .. }) => Some(fixtures::master_down()),
                Effect::Ui(_) | Effect::Read(_) | Effect::Op(_) => None,
            };
            if let Some(s) = next {
                let _ = snap_tx.send(retime(s));
            }
            let event = EngineEvent {
                at: OffsetDateTime::now_utc(),
                severity: Severity::Info,
                role: None,
                text,
            };
            if event_tx.send(event).await.is_err() {
                break;
            }
        }
    });
    run(UiOptions {
        mode,
        theme,
        keymap: Keymap::default_for(mode),
        title: "baton".to_string(),
        environment: "preview".to_string(),
        snapshots,
        events,
        effects,
        ops,
        rto_target: std::time::Duration::from_secs(300),
        shared_locks: false,
    })
    .await?;
    Ok(())
}
