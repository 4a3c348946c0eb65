//! The headless command through its library entry point (`headless::drill::run`, what `baton
//! drill` calls) with in-memory terminals: `--yes --json --report DIR` exits 0 with one JSON
//! object per line and both reports; a wrong typed role name does nothing (exit 1); a drill
//! during an incident is refused with the reason (exit 1); `--resume` with nothing to resume
//! exits 1; a forced drill with an empty comment is a usage error (exit 2).

mod drill_support;

use baton::headless::drill::{run, DrillArgs};
use baton::headless::Terminal;
use drill_support::*;
use std::path::Path;
use std::time::Duration;

fn args(state: &Path, reports: &Path) -> DrillArgs {
    DrillArgs {
        role: "web".into(),
        to: None,
        hold: Duration::from_secs(1),
        switch_back: true,
        report_dir: Some(reports.to_path_buf()),
        yes: true,
        json: false,
        resume: false,
        force_during_incident: None,
        comment: None,
        state_dir: Some(state.to_path_buf()),
    }
}

async fn call(config: &baton::config::Config, a: &DrillArgs, typed: &str) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut input = std::io::Cursor::new(typed.as_bytes().to_vec());
    let term = Terminal {
        out: &mut out,
        err: &mut err,
        input: &mut input,
    };
    let code = run(config, a, term).await;
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yes_json_report_exits_zero_with_json_lines() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let reports = tmp.path().join("reports");
    let a = DrillArgs {
        json: true,
        ..args(&tmp.path().join("state"), &reports)
    };
    let (code, out, err) = call(&config, &a, "").await;
    assert_eq!(code, 0, "{out}\n{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    assert!(lines[0].get("drill_plan").is_some(), "{}", lines[0]);
    let last = lines.last().unwrap();
    assert_eq!(last["drill"], "finished", "{last}");
    assert_eq!(last["verdict"], "pass");
    let md = last["reports"]["markdown"].as_str().unwrap();
    assert!(Path::new(md).starts_with(&reports) && Path::new(md).exists());
    // In the order things happened: the drill begins, each leg is announced before its events.
    assert_eq!(lines[1]["drill"], "begun", "{}", lines[1]);
    for (i, l) in lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l["event"] == "begun")
    {
        assert_eq!(lines[i - 1]["drill"], "leg_started", "{l}");
    }
    let legs = lines.iter().filter(|l| l["drill"] == "leg_ended").count();
    assert_eq!(legs, 2);
    assert!(lines.iter().any(|l| l["event"] == "step_done"));
    assert_master(&emu, &config, "web", "web-a").await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_usage_errors_have_their_exit_codes() {
    let (emu, config) = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let base = args(&tmp.path().join("state"), &tmp.path().join("reports"));

    let typed = DrillArgs {
        yes: false,
        ..base.clone()
    };
    let (code, out, err) = call(&config, &typed, "webb\n").await;
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.contains("`webb` is not `web`: nothing done"), "{err}");
    assert!(
        out.contains("drill of role web: out to web-b, hold 1.0 s, back to web-a"),
        "{out}"
    );

    let resume = DrillArgs {
        resume: true,
        ..base.clone()
    };
    let (code, _, err) = call(&config, &resume, "").await;
    assert_eq!(code, 1);
    assert!(err.contains("no interrupted drill of role web"), "{err}");

    chaos(&emu, "app-a", "kill-service").await;
    let (code, _, err) = call(&config, &base, "").await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("blocked: not during an incident: role app is MASTER DOWN"),
        "{err}"
    );
    let empty = DrillArgs {
        force_during_incident: Some(String::new()),
        ..base.clone()
    };
    let (code, _, err) = call(&config, &empty, "").await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs a comment"), "{err}");
    assert_master(&emu, &config, "web", "web-a").await;
    emu.shutdown().await;
}
