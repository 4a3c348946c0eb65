//! The engine serves the history view in read-only mode (no operations task, no write client):
//! `ReadEffect::LoadHistory` is answered with `EngineMsg::History` read from the state
//! directory; without a history source the answer says why (`HistoryFailure::NoStateDir`).

mod ui_fixtures;
use baton::protocol::{Effect, EngineMsg, HistoryFailure, ReadEffect};
mod azure_support;
mod history_support;

use azure_support::{reader_with, start};
use baton::config;
use baton::core::history::RunVerdict;
use baton::engine::{self, EngineHandle, EngineSetup, HistorySource};
use baton::failover::StateDir;
use baton::setup;
use std::path::Path;
use std::time::Duration;
use ui_fixtures::history::RTO_TARGET;

async fn read_only_engine(
    history: Option<HistorySource>,
) -> (EngineHandle, baton::emulator::EmulatorHandle) {
    let emu = start(1.0).await;
    let config = config::parse_str(&emu.baton_config_toml(), Path::new("<test>")).unwrap();
    let handle = engine::start_with(
        EngineSetup {
            roles: config.role_specs(),
            reader: reader_with(&emu, emu.token()),
            probes: Vec::new(),
            schedule: setup::schedule(&config),
            refresh_interval: Duration::from_secs(60),
            budget_share: 0.5,
            chaos: None,
            ops: None,
        },
        history,
    );
    (handle, emu)
}

async fn ask(handle: &mut EngineHandle) -> Result<baton::core::history::History, HistoryFailure> {
    let mut ui = handle.take_ops().unwrap();
    handle
        .effects()
        .send(Effect::Read(ReadEffect::LoadHistory))
        .await
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(30), ui.recv())
        .await
        .expect("the engine answers")
        .expect("channel open");
    match answer {
        EngineMsg::History(h) => h,
        other => panic!("expected EngineMsg::History, got {other:?}"),
    }
}

#[tokio::test]
async fn read_only_engine_reads_the_history() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    history_support::fill(&dir);
    let source = HistorySource::local(&dir, RTO_TARGET);
    let (mut handle, _emu) = read_only_engine(Some(source)).await;
    let history = ask(&mut handle).await.unwrap();
    let app = history.role("app").unwrap();
    assert_eq!(app.runs.len(), 5);
    assert_eq!(app.runs[3].verdict, RunVerdict::Pass);
    assert_eq!(history.role("web").unwrap().runs.len(), 2);
    handle.shutdown().await;
}

#[tokio::test]
async fn without_a_state_directory_the_answer_says_so() {
    let (mut handle, _emu) = read_only_engine(None).await;
    let err = ask(&mut handle).await.unwrap_err();
    assert!(matches!(err, HistoryFailure::NoStateDir), "{err:?}");
    let text = err.to_string();
    for way in [
        "--state-dir",
        "$BATON_STATE_DIR",
        "$XDG_STATE_HOME",
        "~/.local/state/baton",
    ] {
        assert!(text.contains(way), "{text} does not name {way}");
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn read_only_engine_exports_a_timeline_and_logs_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::new(tmp.path());
    history_support::fill(&dir);
    let source = HistorySource::local(&dir, RTO_TARGET);
    let (mut handle, _emu) = read_only_engine(Some(source)).await;
    let mut events = handle.take_events().unwrap();
    let effects = handle.effects();
    for role in ["app", "nope"] {
        let ask = Effect::Read(ReadEffect::ExportTimeline { role: role.into() });
        effects.send(ask).await.unwrap();
    }
    let mut texts = Vec::new();
    while texts.len() < 2 {
        let event = tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .expect("the engine answers")
            .expect("channel open");
        if event.text.contains("timeline") {
            texts.push((event.role.clone().unwrap_or_default(), event.text));
        }
    }
    texts.sort();
    let (role, written) = &texts[0];
    assert_eq!(role, "app");
    let path = written
        .strip_prefix("timeline written to ")
        .unwrap_or_else(|| panic!("{written}"));
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.starts_with("# Timeline of "), "{text}");
    assert!(text.contains("| step |"), "{text}");
    assert!(path.starts_with(tmp.path().join("timelines").to_str().unwrap()));
    assert!(
        texts[1].1.contains("no operation of role nope"),
        "{texts:?}"
    );
    handle.shutdown().await;
}
