//! The in-process benches' side of the emulator: a tokio runtime around a bench's future, the
//! emulator's request log, and its control routes.

use anyhow::Result;
use serde_json::Value;
use std::fmt::Display;
use std::future::Future;
use std::process::ExitCode;

/// Runs `bench` on a two-worker runtime; an error is printed under the bench's `name` and
/// makes the process exit non-zero.
pub fn run_bench(name: &str, bench: impl Future<Output = Result<()>>) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name} bench: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(bench) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name} bench FAILED: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The emulator's ARM and storage request log so far (`base`, the emulator's URL, ends with `/`).
pub async fn request_log(http: &reqwest::Client, base: impl Display) -> Result<Vec<Value>> {
    let url = format!("{base}_emulator/requests");
    let resp = http.get(url).send().await?.error_for_status()?;
    Ok(resp.json().await?)
}

/// Posts `body` to the control route `path` (a bodyless post still says JSON, as the control
/// API requires); `state` without a body is read instead.
pub async fn control(
    http: &reqwest::Client,
    base: impl Display,
    path: &str,
    body: Option<Value>,
) -> Result<Value> {
    let url = format!("{base}_emulator/{path}");
    let req = match body {
        Some(b) => http.post(url).json(&b),
        None if path == "state" => http.get(url),
        None => http.post(url).header("content-type", "application/json"),
    };
    let resp = req.send().await?.error_for_status()?;
    Ok(resp.json().await.unwrap_or(Value::Null))
}
