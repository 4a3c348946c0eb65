//! The `baton` command line: parses arguments, sets up logging, and hands over to the library.
//! Exit codes: 0 success / all healthy, 1 unhealthy or failed, 2 usage, config or auth errors.

mod cli;
mod logging;

use clap::Parser;
use std::io::Write as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => return usage(&e),
    };
    let _log_guard = logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(
                baton::term_out::stderr(),
                "error: cannot start the async runtime: {e}"
            );
            return ExitCode::from(2);
        }
    };
    let code = runtime.block_on(cli::run(args));
    ExitCode::from(code)
}

/// Prints clap's help, version or usage error through the sanitizing writers (an argument
/// value is echoed in the error and may hold escapes), without colour; clap's exit code.
fn usage(e: &clap::Error) -> ExitCode {
    let text = e.render().to_string();
    let _ = if e.use_stderr() {
        write!(baton::term_out::stderr(), "{text}")
    } else {
        write!(baton::term_out::stdout(), "{text}")
    };
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}
