//! The probe engine against a local server that can be switched between healthy, 503, hung and
//! flapping: detection after `fail_after` probes, recovery after `recover_after`, flap damping,
//! the board's shape and history bound, and shutdown stopping every request.
//!
//! Nothing here asserts a duration: waits are bounded polls of the watch channel or of the
//! server's request counters.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use baton::config::ProbeTarget;
use baton::core::health::HealthParams;
use baton::core::model::ProbeStatus;
use baton::probe::{
    http_client, HeartbeatBoard, ProbeEngine, ProbeEngineHandle, ProbeKind, ProbeSpec,
    ScheduleParams,
};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

const HEALTHY: u8 = 0;
const UNAVAILABLE: u8 = 1;
const HUNG: u8 = 2;
const FLAPPING: u8 = 3;

/// Upper bound of any single wait; generous, only there so a broken engine fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(20);

#[derive(Default)]
struct Counters {
    mode: AtomicU8,
    requests: AtomicUsize,
    ok: AtomicUsize,
    failed: AtomicUsize,
    flaps: AtomicUsize,
}

struct Server {
    port: u16,
    counters: Arc<Counters>,
}

impl Server {
    async fn start(mode: u8) -> Server {
        let counters = Arc::new(Counters::default());
        counters.mode.store(mode, Ordering::SeqCst);
        let app = Router::new()
            .route("/health", get(health))
            .with_state(Arc::clone(&counters));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Server { port, counters }
    }

    fn set(&self, mode: u8) {
        self.counters.mode.store(mode, Ordering::SeqCst);
    }

    fn requests(&self) -> usize {
        self.counters.requests.load(Ordering::SeqCst)
    }

    fn ok(&self) -> usize {
        self.counters.ok.load(Ordering::SeqCst)
    }

    fn failed(&self) -> usize {
        self.counters.failed.load(Ordering::SeqCst)
    }

    fn http(&self) -> ProbeTarget {
        let url = format!("http://127.0.0.1:{}/health", self.port);
        ProbeTarget::Http(url.parse().expect("url"))
    }

    fn tcp(&self) -> ProbeTarget {
        ProbeTarget::Tcp {
            host: "127.0.0.1".into(),
            port: self.port,
        }
    }
}

async fn health(State(c): State<Arc<Counters>>) -> StatusCode {
    c.requests.fetch_add(1, Ordering::SeqCst);
    let healthy = match c.mode.load(Ordering::SeqCst) {
        HEALTHY => true,
        HUNG => {
            c.failed.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return StatusCode::OK;
        }
        FLAPPING => c.flaps.fetch_add(1, Ordering::SeqCst) % 2 == 0,
        _ => false,
    };
    if healthy {
        c.ok.fetch_add(1, Ordering::SeqCst);
        StatusCode::OK
    } else {
        c.failed.fetch_add(1, Ordering::SeqCst);
        StatusCode::SERVICE_UNAVAILABLE
    }
}

fn params(flap_window: u32, flap_threshold: u32) -> ScheduleParams {
    ScheduleParams {
        interval: Duration::from_millis(50),
        timeout: Duration::from_millis(30),
        health: HealthParams {
            fail_after: 3,
            recover_after: 2,
            flap_window,
            flap_threshold,
        },
        history: 60,
    }
}

fn service(vm: &str, target: ProbeTarget) -> ProbeSpec {
    ProbeSpec {
        vm: vm.into(),
        kind: ProbeKind::Service,
        target,
    }
}

fn letter(v: &ProbeStatus) -> char {
    match v {
        ProbeStatus::Up { .. } => 'U',
        ProbeStatus::Down { .. } => 'D',
        ProbeStatus::Unknown => '?',
    }
}

/// Follows one VM's service verdict, remembering every distinct verdict kind it passed through.
struct Follower {
    rx: watch::Receiver<HeartbeatBoard>,
    vm: String,
    seen: String,
}

impl Follower {
    fn new(engine: &ProbeEngineHandle, vm: &str) -> Follower {
        let mut f = Follower {
            rx: engine.subscribe(),
            vm: vm.into(),
            seen: String::new(),
        };
        f.current();
        f
    }

    /// The verdict now, recorded in `seen` when its kind differs from the last one seen.
    fn current(&mut self) -> ProbeStatus {
        let v = self.rx.borrow_and_update().verdicts.get(&self.vm).service;
        let l = letter(&v);
        if !self.seen.ends_with(l) {
            self.seen.push(l);
        }
        v
    }

    /// Waits (bounded) until the verdict satisfies `pred`, calling `each` on every one seen.
    async fn until(
        &mut self,
        pred: impl Fn(&ProbeStatus) -> bool,
        mut each: impl FnMut(&ProbeStatus),
    ) -> ProbeStatus {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let v = self.current();
            each(&v);
            if pred(&v) {
                return v;
            }
            tokio::time::timeout_at(deadline, self.rx.changed())
                .await
                .unwrap_or_else(|_| panic!("verdict never matched; saw {}", self.seen))
                .expect("engine alive");
        }
    }

    async fn until_up(&mut self) -> ProbeStatus {
        self.until(ProbeStatus::is_up, |_| {}).await
    }

    async fn until_down(&mut self) -> ProbeStatus {
        self.until(ProbeStatus::is_down, |_| {}).await
    }
}

#[tokio::test]
async fn failing_target_is_down_only_after_fail_after_probes() {
    let server = Server::start(HEALTHY).await;
    let engine = ProbeEngine::spawn(
        vec![service("Web-A", server.http())],
        params(0, 0),
        http_client(),
    );
    let mut f = Follower::new(&engine, "web-a");
    f.until_up().await;
    server.set(UNAVAILABLE);
    let verdict = f.until_down().await;
    let failed = server.failed();
    assert!(failed >= 3, "down after only {failed} failed probes");
    assert_eq!(
        verdict,
        ProbeStatus::Down {
            reason: "HTTP 503".into()
        }
    );
    assert_eq!(f.seen, "?UD");
    let board = f.rx.borrow().clone();
    let history = &board.heartbeats_of("WEB-A").expect("history").service;
    assert!(history.consecutive_failures >= 3, "{history:?}");
    assert!(
        history.samples.ends_with(&[None, None, None]),
        "{history:?}"
    );
    assert!(history.last_ok.is_some() && history.last_run > history.last_ok);
    engine.shutdown().await;
}

#[tokio::test]
async fn hung_target_is_down_by_timeouts_after_fail_after_probes() {
    let server = Server::start(HEALTHY).await;
    let engine = ProbeEngine::spawn(
        vec![service("web-a", server.http())],
        params(0, 0),
        http_client(),
    );
    let mut f = Follower::new(&engine, "web-a");
    f.until_up().await;
    server.set(HUNG);
    let verdict = f.until_down().await;
    assert!(
        server.failed() >= 3,
        "down after {} probes",
        server.failed()
    );
    assert_eq!(
        verdict,
        ProbeStatus::Down {
            reason: "timeout after 30ms".into()
        }
    );
    assert_eq!(f.seen, "?UD");
    engine.shutdown().await;
}

#[tokio::test]
async fn recovery_needs_recover_after_successes() {
    let server = Server::start(UNAVAILABLE).await;
    let engine = ProbeEngine::spawn(
        vec![service("web-a", server.http())],
        params(0, 0),
        http_client(),
    );
    let mut f = Follower::new(&engine, "web-a");
    f.until_down().await;
    assert!(server.failed() >= 3);
    let ok_before = server.ok();
    server.set(HEALTHY);
    f.until_up().await;
    let ok_after = server.ok() - ok_before;
    assert!(ok_after >= 2, "up again after only {ok_after} successes");
    assert_eq!(f.seen, "?DU", "never up before fail_after failures either");
    engine.shutdown().await;
}

#[tokio::test]
async fn flapping_target_is_held_down_until_calm() {
    let server = Server::start(FLAPPING).await;
    let engine = ProbeEngine::spawn(
        vec![service("web-a", server.http())],
        params(6, 3),
        http_client(),
    );
    let mut f = Follower::new(&engine, "web-a");
    let verdict = f.until_down().await;
    let ProbeStatus::Down { reason } = verdict else {
        unreachable!()
    };
    assert!(reason.starts_with("flapping: "), "{reason}");
    // The first answer is a success, so it is up at once, though only for three probes.
    assert!(f.seen == "?UD" || f.seen == "?D", "{}", f.seen);
    let before = f.seen.clone();
    // It keeps flapping for ten more probes; never once up (3 failures in a row never happen).
    let seen_at = server.requests();
    let mut last = ProbeStatus::Unknown;
    let mut notifications = 0;
    f.until(
        |_| server.requests() >= seen_at + 10,
        |v| {
            last = v.clone();
            notifications += 1;
        },
    )
    .await;
    assert!(last.is_down() && notifications > 0);
    assert_eq!(f.seen, before, "held down while flapping");
    server.set(HEALTHY);
    f.until_up().await;
    assert_eq!(f.seen, format!("{before}U"));
    engine.shutdown().await;
}

#[tokio::test]
async fn board_keys_vms_lower_case_and_bounds_history() {
    let server = Server::start(HEALTHY).await;
    let specs = vec![
        ProbeSpec {
            vm: "Web-A".into(),
            kind: ProbeKind::Vm,
            target: server.tcp(),
        },
        service("Web-A", server.http()),
        service("WEB-A", server.tcp()),
    ];
    let mut p = params(0, 0);
    p.history = 4;
    let engine = ProbeEngine::spawn(specs, p, http_client());
    let mut rx = engine.subscribe();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        {
            let board = rx.borrow_and_update();
            let hb = board.heartbeats_of("web-a").expect("pre-populated");
            assert!(hb.service.samples.len() <= 4 && hb.vm.samples.len() <= 4);
            if server.requests() >= 8 && hb.vm.samples.len() == 4 {
                let probes = board.verdicts.get("WEB-A");
                assert!(probes.vm.is_up() && probes.service.is_up(), "{probes:?}");
                assert_eq!(board.histories.keys().collect::<Vec<_>>(), ["web-a"]);
                assert!(hb.service.samples.iter().all(Option::is_some));
                break;
            }
        }
        tokio::time::timeout_at(deadline, rx.changed())
            .await
            .expect("history filled")
            .expect("engine alive");
    }
    engine.shutdown().await;
}

#[tokio::test]
async fn samples_are_stamped_by_the_given_clock() {
    let t0 = time::macros::datetime!(2026-01-01 12:00:00 UTC);
    let server = Server::start(HEALTHY).await;
    let engine = ProbeEngine::spawn_with_clock(
        vec![service("web-a", server.http())],
        params(0, 0),
        http_client(),
        Arc::new(move || t0),
    );
    let mut f = Follower::new(&engine, "web-a");
    f.until_up().await;
    let board = f.rx.borrow().clone();
    let history = &board.heartbeats_of("web-a").expect("history").service;
    assert_eq!(history.last_run, Some(t0));
    assert_eq!(history.last_ok, Some(t0));
    engine.shutdown().await;
}

/// Waits until the request counter stops moving for five intervals (bounded), then returns it.
async fn settled(server: &Server) -> usize {
    for _ in 0..40 {
        let before = server.requests();
        tokio::time::sleep(Duration::from_millis(250)).await;
        if server.requests() == before {
            return before;
        }
    }
    panic!("requests never stopped: {}", server.requests());
}

fn fleet(server: &Server, vms: usize) -> Vec<ProbeSpec> {
    (0..vms)
        .flat_map(|i| {
            [
                ProbeSpec {
                    vm: format!("vm-{i}"),
                    kind: ProbeKind::Vm,
                    target: server.http(),
                },
                service(&format!("vm-{i}"), server.http()),
            ]
        })
        .collect()
}

async fn until_requests(server: &Server, n: usize) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while server.requests() < n {
        assert!(tokio::time::Instant::now() < deadline, "probes never ran");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn shutdown_stops_every_request() {
    let server = Server::start(HEALTHY).await;
    let engine = ProbeEngine::spawn(fleet(&server, 10), params(0, 0), http_client());
    let mut rx = engine.subscribe();
    until_requests(&server, 60).await;
    engine.shutdown().await;
    let mut notified = 0;
    while rx.changed().await.is_ok() {
        notified += 1;
        assert!(notified < 2, "board still published after shutdown");
    }
    let stopped_at = settled(&server).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.requests(), stopped_at, "no probe after shutdown");
}

#[tokio::test]
async fn dropping_the_handle_stops_every_request() {
    let server = Server::start(HEALTHY).await;
    let engine = ProbeEngine::spawn(fleet(&server, 10), params(0, 0), http_client());
    let mut rx = engine.subscribe();
    until_requests(&server, 60).await;
    drop(engine);
    let closed =
        tokio::time::timeout(PATIENCE, async { while rx.changed().await.is_ok() {} }).await;
    assert!(closed.is_ok(), "board sender dropped with the handle");
    let stopped_at = settled(&server).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.requests(), stopped_at, "no probe after drop");
}
