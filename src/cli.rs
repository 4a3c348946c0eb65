//! Subcommands and their exit codes. Everything here is glue: parse, call the library, print.

use anyhow::Context as _;
use baton::cockpit::{self, CockpitError, CockpitParams};
use baton::config::{self, Config, ConfigErrors};
use baton::emulator::{self, EmulatorHandle, EmulatorOptions, Scenario};
use baton::engine::ChaosPort;
use baton::status;
use baton::term_out::{self, Sanitized};
use baton::ui::{Mode, UiError};
use clap::{Args, Parser, Subcommand};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One line to stdout through the sanitizing writer (a closed pipe is not an error here).
macro_rules! say {
    ($($arg:tt)*) => {{ let _ = writeln!(term_out::stdout(), $($arg)*); }};
}

/// Text to stdout through the sanitizing writer, as is (it ends its own lines).
macro_rules! say_raw {
    ($($arg:tt)*) => {{ let _ = write!(term_out::stdout(), $($arg)*); }};
}

/// One line to stderr through the sanitizing writer.
macro_rules! say_err {
    ($($arg:tt)*) => {{ let _ = writeln!(term_out::stderr(), $($arg)*); }};
}

/// baton: a terminal cockpit for Azure active/passive VM pairs.
#[derive(Debug, Parser)]
#[command(name = "baton", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Config file (else $BATON_CONFIG, else $XDG_CONFIG_HOME/baton/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    view: ViewArgs,
}

/// How the cockpit looks and what it may do.
#[derive(Debug, Args, Clone)]
struct ViewArgs {
    /// No mutating action anywhere; the engine gets a client without write methods.
    #[arg(long)]
    read_only: bool,
    /// Wall display: big tiles, rotating detail, no cursor (implies --read-only).
    #[arg(long)]
    wall: bool,
    /// Theme: default, light, high-contrast, mono, or a file in $XDG_CONFIG_HOME/baton/themes/.
    #[arg(long, value_name = "NAME")]
    theme: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The cockpit on an embedded emulator of Azure (contoso world); chaos keys break things.
    Demo {
        /// Emulated Azure runs this many times faster than real Azure.
        #[arg(long, default_value_t = 1.0, value_parser = speed_factor)]
        speed: f64,
        /// Another world (scenario TOML) instead of contoso.
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        #[command(flatten)]
        view: ViewArgs,
    },
    /// One inventory refresh and one probe round; exit 0 when every role is healthy.
    Status {
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Serve the Azure Resource Manager emulator until interrupted.
    Emulator {
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8780")]
        listen: SocketAddr,
        /// World to serve (default: the built-in contoso world).
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// Emulated Azure runs this many times faster than real Azure.
        #[arg(long, default_value_t = 1.0, value_parser = speed_factor)]
        speed: f64,
        /// Also write a baton config pointing at this emulator.
        #[arg(long, value_name = "PATH")]
        write_config: Option<PathBuf>,
    },
    /// Unplanned: the master is down; fence it and move the role to a standby.
    Failover(MoveArgs),
    /// Planned: stop the app on the master, then move the role (drills, maintenance, failback).
    Switchover(MoveArgs),
    /// Past failovers, switchovers and drills per role: date, kind, RTO, verdict, RTO trend.
    History(HistoryArgs),
    /// Drill: switch over to the standby, hold with service probes, switch back; write a report.
    Drill(DrillArgs),
    /// Break a dead holder's shared role lock (azure-blob coordination); asks for the role name.
    Unlock(UnlockArgs),
    /// Validate a config file; print every problem with file:line:column, key and value.
    CheckConfig {
        /// The file (default: the usual discovery).
        path: Option<PathBuf>,
    },
}

/// Arguments of `failover` and `switchover`.
#[derive(Debug, Args)]
struct MoveArgs {
    /// The role to move.
    role: String,
    /// Target VM (default: the first healthy standby).
    #[arg(long, value_name = "VM")]
    to: Option<String>,
    /// Do not ask for the role name (scripts).
    #[arg(long)]
    yes: bool,
    /// One JSON object per line instead of text.
    #[arg(long)]
    json: bool,
    /// Continue the role's interrupted operation from its journal.
    #[arg(long)]
    resume: bool,
    /// With --resume: restore-endpoint, reattach-old or roll-forward.
    #[arg(long, value_name = "MODE", requires = "resume", value_parser = parse_rollback)]
    rollback: Option<baton::core::operation::RollbackMode>,
    /// Break-glass: detach with ForceDetach (writes in flight may be lost); asks to confirm.
    #[arg(long)]
    force_detach: bool,
    /// Move despite the cooldown; the comment is written to the audit log.
    #[arg(long, value_name = "COMMENT")]
    override_cooldown: Option<String>,
    /// State directory (journals, locks, audit).
    #[arg(long, value_name = "DIR", env = "BATON_STATE_DIR")]
    state_dir: Option<PathBuf>,
    /// This host's name in shared role locks (with `[coordination] backend = "azure-blob"`).
    #[arg(long, value_name = "NAME", env = "BATON_HOST_ID")]
    host_id: Option<String>,
}

/// Arguments of `unlock`.
#[derive(Debug, Args)]
struct UnlockArgs {
    /// The role whose lock to break.
    role: String,
    /// Why: written to the audit record.
    #[arg(long, value_name = "TEXT")]
    comment: Option<String>,
    /// Do not ask for the role name (scripts).
    #[arg(long)]
    yes: bool,
    /// State directory (audit of a local backend).
    #[arg(long, value_name = "DIR", env = "BATON_STATE_DIR")]
    state_dir: Option<PathBuf>,
    /// This host's name (with `[coordination] backend = "azure-blob"`).
    #[arg(long, value_name = "NAME", env = "BATON_HOST_ID")]
    host_id: Option<String>,
}

/// Arguments of `history`.
#[derive(Debug, Args)]
struct HistoryArgs {
    /// Only this role.
    role: Option<String>,
    /// JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Newest runs per role.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// State directory (journals, drill records).
    #[arg(long, value_name = "DIR", env = "BATON_STATE_DIR")]
    state_dir: Option<PathBuf>,
}

/// Arguments of `drill`.
#[derive(Debug, Args)]
struct DrillArgs {
    /// The role to drill.
    role: String,
    /// The standby to visit (default: the first healthy standby).
    #[arg(long, value_name = "VM")]
    to: Option<String>,
    /// Seconds to hold on the standby, probing its service (default: `failover.drill_hold`, 30 s).
    #[arg(long, value_name = "SECS", value_parser = hold_secs)]
    hold: Option<u64>,
    /// Stay on the standby after the hold.
    #[arg(long)]
    no_switch_back: bool,
    /// Where the Markdown and JSON reports go (default: the state directory's reports/).
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Do not ask for the role name (scripts).
    #[arg(long)]
    yes: bool,
    /// One JSON object per line instead of text.
    #[arg(long)]
    json: bool,
    /// Go on with the role's drill interrupted by a crash.
    #[arg(long)]
    resume: bool,
    /// Drill even while a role is MASTER DOWN or SPLIT; the comment is recorded and audited.
    #[arg(long, value_name = "COMMENT")]
    force_during_incident: Option<String>,
    /// A comment kept with the drill's record and report.
    #[arg(long, value_name = "TEXT")]
    comment: Option<String>,
    /// State directory (journals, locks, audit, drills, reports).
    #[arg(long, value_name = "DIR", env = "BATON_STATE_DIR")]
    state_dir: Option<PathBuf>,
}

/// `--speed`: 0.01–1000 (the range is in the message); a tiny factor would stretch every
/// emulated delay past what a clock can add, a huge one makes every operation instant.
fn speed_factor(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(speed) if (0.01..=1000.0).contains(&speed) => Ok(speed),
        _ => Err("expected a speed factor between 0.01 and 1000".to_string()),
    }
}

/// `--hold`: whole seconds within [`config::bounds::DRILL_HOLD`], so a typo is a usage error
/// (exit 2) before anything moves instead of a clock overflow after the leg out.
fn hold_secs(text: &str) -> Result<u64, String> {
    let max = config::bounds::DRILL_HOLD.max.as_secs();
    match text.trim().parse::<u64>() {
        Ok(secs) if secs <= max => Ok(secs),
        _ => Err(format!("expected whole seconds between 0 and {max} (24 h)")),
    }
}

/// `baton history`: a config is optional (the history is local); without one the default RTO
/// target applies and stderr says so. A config that is named (`--config`, `$BATON_CONFIG`) or
/// found but broken is an error, as everywhere else.
async fn run_history(explicit: Option<&Path>, args: HistoryArgs) -> u8 {
    let named =
        explicit.is_some() || std::env::var_os("BATON_CONFIG").is_some_and(|v| !v.is_empty());
    let config = match config::load_discovered(explicit) {
        Ok(c) => Some(c),
        Err(config::ConfigErrors::Unusable(config::ConfigError::NotFound { .. })) if !named => {
            let target = config::FailoverConfig::default().rto_target;
            let target = baton::core::plan::human_duration(target);
            say_err!("note: no config found: judging against the default RTO target ({target})");
            None
        }
        Err(e) => {
            print_config_errors(&e);
            return 2;
        }
    };
    let cmd = baton::history::HistoryCommand {
        role: args.role,
        json: args.json,
        limit: args.limit,
        state_dir: args.state_dir,
        rto_target: config.as_ref().map_or_else(
            || config::FailoverConfig::default().rto_target,
            |c| c.failover.rto_target,
        ),
        known_roles: config.map_or_else(Vec::new, |c| {
            c.role_specs().into_iter().map(|r| r.name).collect()
        }),
    };
    baton::history::run(&cmd, &mut term_out::stdout(), &mut term_out::stderr()).await
}

async fn run_drill(explicit: Option<&Path>, args: DrillArgs) -> anyhow::Result<u8> {
    let config = match load_config(explicit) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let args = baton::headless::drill::DrillArgs {
        role: args.role,
        to: args.to,
        hold: args
            .hold
            .map_or(config.failover.drill_hold, Duration::from_secs),
        switch_back: !args.no_switch_back,
        report_dir: args.report,
        yes: args.yes,
        json: args.json,
        resume: args.resume,
        force_during_incident: args.force_during_incident,
        comment: args.comment,
        state_dir: args.state_dir,
    };
    let mut io = Stdio::new();
    Ok(baton::headless::drill::run(&config, &args, io.term()).await)
}

/// The process's terminal, for the headless commands: both outputs sanitized.
struct Stdio {
    out: Sanitized<std::io::Stdout>,
    err: Sanitized<std::io::Stderr>,
    input: std::io::BufReader<std::io::Stdin>,
}

impl Stdio {
    fn new() -> Stdio {
        Stdio {
            out: term_out::stdout(),
            err: term_out::stderr(),
            input: std::io::BufReader::new(std::io::stdin()),
        }
    }

    fn term(&mut self) -> baton::headless::Terminal<'_> {
        baton::headless::Terminal {
            out: &mut self.out,
            err: &mut self.err,
            input: &mut self.input,
        }
    }
}

fn parse_rollback(s: &str) -> Result<baton::core::operation::RollbackMode, String> {
    use baton::core::operation::RollbackMode;
    [
        RollbackMode::RestoreEndpoint,
        RollbackMode::ReattachOld,
        RollbackMode::RollForward,
    ]
    .into_iter()
    .find(|m| baton::failover::mode_word(*m) == s)
    .ok_or_else(|| "one of restore-endpoint, reattach-old, roll-forward".to_string())
}

async fn run_move(
    explicit: Option<&Path>,
    kind: baton::core::plan::OperationKind,
    args: MoveArgs,
) -> anyhow::Result<u8> {
    let config = match load_config(explicit) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let args = baton::headless::operation::HeadlessArgs {
        role: args.role,
        kind,
        to: args.to,
        yes: args.yes,
        json: args.json,
        resume: args.resume,
        rollback: args.rollback,
        force_detach: args.force_detach,
        override_cooldown: args.override_cooldown,
        state_dir: args.state_dir,
        host_id: args.host_id,
    };
    let mut io = Stdio::new();
    Ok(baton::headless::operation::run(&config, &args, io.term()).await)
}

async fn run_unlock(explicit: Option<&Path>, args: UnlockArgs) -> anyhow::Result<u8> {
    let config = match load_config(explicit) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let args = baton::headless::unlock::UnlockArgs {
        role: args.role,
        comment: args.comment,
        yes: args.yes,
        state_dir: args.state_dir,
        host_id: args.host_id,
    };
    let mut io = Stdio::new();
    Ok(baton::headless::unlock::run(&config, &args, io.term()).await)
}

/// Runs the parsed command line; returns the process exit code.
pub async fn run(cli: Cli) -> u8 {
    let outcome = match cli.command {
        None => run_cockpit(cli.config.as_deref(), &cli.view).await,
        Some(Command::Demo {
            speed,
            scenario,
            view,
        }) => run_demo(speed, scenario.as_deref(), &view).await,
        Some(Command::Status { json }) => run_status(cli.config.as_deref(), json).await,
        Some(Command::Emulator {
            listen,
            scenario,
            speed,
            write_config,
        }) => run_emulator(listen, scenario.as_deref(), speed, write_config.as_deref()).await,
        Some(Command::Failover(args)) => {
            run_move(
                cli.config.as_deref(),
                baton::core::plan::OperationKind::Failover,
                args,
            )
            .await
        }
        Some(Command::Switchover(args)) => {
            run_move(
                cli.config.as_deref(),
                baton::core::plan::OperationKind::Switchover,
                args,
            )
            .await
        }
        Some(Command::History(args)) => Ok(run_history(cli.config.as_deref(), args).await),
        Some(Command::Drill(args)) => run_drill(cli.config.as_deref(), args).await,
        Some(Command::Unlock(args)) => run_unlock(cli.config.as_deref(), args).await,
        Some(Command::CheckConfig { path }) => Ok(check_config(path.or(cli.config).as_deref())),
    };
    outcome.unwrap_or_else(|e| {
        say_err!("error: {e:#}");
        2
    })
}

fn load_config(explicit: Option<&Path>) -> Result<Config, u8> {
    config::load_discovered(explicit).map_err(|e| {
        print_config_errors(&e);
        2
    })
}

fn print_config_errors(errors: &ConfigErrors) {
    say_err!("{errors}");
}

fn check_config(explicit: Option<&Path>) -> u8 {
    let path = match config::discover(explicit) {
        Ok(p) => p,
        Err(e) => {
            say_err!("{e}");
            return 2;
        }
    };
    match config::check_config(&path) {
        Ok(summary) => {
            say!("{summary}");
            0
        }
        Err(e) => {
            print_config_errors(&e);
            2
        }
    }
}

async fn run_status(explicit: Option<&Path>, json: bool) -> anyhow::Result<u8> {
    let config = match load_config(explicit) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    Ok(status_of(&config, json).await)
}

/// Prints one status report of the configured fleet; returns the exit code.
async fn status_of(config: &Config, json: bool) -> u8 {
    let reader = match baton::setup::read_client(config) {
        Ok(r) => r,
        Err(e) => {
            say_err!("error: {e}");
            return 2;
        }
    };
    match status::collect(config, &reader).await {
        Ok(report) => {
            if json {
                say!("{:#}", report.to_json());
            } else {
                say_raw!("{}", report.render_text());
            }
            u8::try_from(report.exit_code()).unwrap_or(1)
        }
        Err(e) => {
            say_err!("error: {e}");
            if e.is_auth() {
                2
            } else {
                1
            }
        }
    }
}

fn mode_of(view: &ViewArgs, config_read_only: bool, base: Mode) -> Mode {
    if view.wall {
        Mode::Wall
    } else if view.read_only || config_read_only {
        Mode::ReadOnly
    } else {
        base
    }
}

async fn run_cockpit(explicit: Option<&Path>, view: &ViewArgs) -> anyhow::Result<u8> {
    let config = match load_config(explicit) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let mode = mode_of(view, config.ui.read_only, Mode::Operator);
    let theme = view
        .theme
        .clone()
        .unwrap_or_else(|| config.ui.theme.clone());
    cockpit_exit(
        cockpit::run(CockpitParams {
            config: &config,
            mode,
            theme: &theme,
            keys: &config.keys,
            environment: config.ui.environment.clone(),
            chaos: None,
            refresh_interval: None,
        })
        .await,
    )
}

fn cockpit_exit(result: Result<(), CockpitError>) -> anyhow::Result<u8> {
    match result {
        Ok(()) => Ok(0),
        Err(e) => {
            say_err!("error: {e}");
            Ok(2)
        }
    }
}

async fn start_emulator(
    listen: SocketAddr,
    scenario: Option<&Path>,
    speed: f64,
) -> anyhow::Result<EmulatorHandle> {
    let scenario = match scenario {
        Some(path) => Scenario::from_file(path)?,
        None => Scenario::contoso(),
    };
    let handle = emulator::start(EmulatorOptions {
        listen,
        scenario,
        speed,
    })
    .await
    .context("cannot start the emulator")?;
    Ok(handle)
}

async fn run_emulator(
    listen: SocketAddr,
    scenario: Option<&Path>,
    speed: f64,
    write_config: Option<&Path>,
) -> anyhow::Result<u8> {
    if let Some(warning) = emulator::exposure_warning(listen) {
        say_err!("{warning}");
    }
    let handle = start_emulator(listen, scenario, speed).await?;
    say!(
        "listening on {}",
        handle.base_url().as_str().trim_end_matches('/')
    );
    say!("blob storage on {}", handle.blob_url());
    if let Some(path) = write_config {
        let text = format!(
            "{}{}",
            handle.baton_config_toml(),
            handle.coordination_toml()
        );
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
        say_err!(
            "wrote a baton config for this emulator to {}",
            path.display()
        );
    }
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    handle.shutdown().await;
    Ok(0)
}

async fn run_demo(speed: f64, scenario: Option<&Path>, view: &ViewArgs) -> anyhow::Result<u8> {
    let listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let handle = start_emulator(listen, scenario, speed).await?;
    let text = handle.baton_config_toml();
    let config = config::parse_str(&text, Path::new("<demo>"))
        .map_err(|e| anyhow::anyhow!("the demo world produced an invalid config (a bug):\n{e}"))?;
    let mode = mode_of(view, false, Mode::Demo);
    let theme = view.theme.clone().unwrap_or_else(|| "default".to_string());
    let result = cockpit::run(CockpitParams {
        config: &config,
        mode,
        theme: &theme,
        keys: &BTreeMap::new(),
        environment: format!("demo · speed ×{speed}"),
        chaos: Some(ChaosPort::new(handle.base_url().clone())),
        refresh_interval: Some(Duration::from_secs(5)),
    })
    .await;
    let code = match result {
        // Without a terminal (a pipe, CI) show what the cockpit would: one status report.
        Err(CockpitError::Ui(UiError::NotATerminal)) => {
            say_err!("not a terminal: printing one status report of the demo world instead");
            status_of(&config, false).await
        }
        other => cockpit_exit(other)?,
    };
    handle.shutdown().await;
    Ok(code)
}
