//! The `baton` command line: parses arguments, sets up logging, and hands over to the library.
//! Exit codes: 0 success / all healthy, 1 unhealthy or failed, 2 usage, config or auth errors.

mod cli;
mod logging;

use clap::Parser;
use std::io::Write as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
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
