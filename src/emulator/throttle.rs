//! Throttling: ARM subscription token buckets (reads, writes) and compute policy counters,
//! with the headers Azure sends on every answer: the subscription bucket's remaining count on
//! every ARM answer, and on every compute answer `x-ms-ratelimit-remaining-resource:
//! Microsoft.Compute/<Policy>;<n>` for the policy it was charged to (0 on the 429 that policy
//! refuses). Windows and limits come from the scenario (`[throttle]`), so a bench can model a
//! large tenant.
//!
//! Refill rates and windows are in emulated time (scaled by the speed factor). Classifying
//! requests into policies is the caller's job.

use std::collections::BTreeMap;
use std::time::Instant;

use super::clock::real_secs_header;
use super::reply::ArmError;
use super::scenario::{BucketDef, ThrottleDef};

#[derive(Debug, Clone)]
struct Bucket {
    tokens: f64,
    last: Instant,
    capacity: f64,
    refill_real: f64,
}

impl Bucket {
    fn new(def: BucketDef, speed: f64, now: Instant) -> Self {
        Bucket {
            tokens: def.capacity,
            last: now,
            capacity: def.capacity,
            refill_real: def.refill_per_sec * speed,
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.refill_real).min(self.capacity);
        self.last = now;
    }

    /// Real seconds until one token is available.
    fn wait(&self) -> f64 {
        if self.refill_real <= 0.0 {
            60.0
        } else {
            (1.0 - self.tokens).max(0.0) / self.refill_real
        }
    }
}

#[derive(Debug, Clone)]
struct Window {
    used: u32,
    start: Instant,
}

/// Throttle state of the emulated subscription.
#[derive(Debug, Clone)]
pub(crate) struct Throttle {
    reads: Bucket,
    writes: Bucket,
    limits: BTreeMap<String, u32>,
    window_real: f64,
    windows: BTreeMap<String, Window>,
}

/// Response headers added by the throttle.
pub(crate) type Headers = Vec<(&'static str, String)>;

impl Throttle {
    /// Full buckets for a scenario at a speed factor.
    pub fn new(def: &ThrottleDef, speed: f64, now: Instant) -> Self {
        Throttle {
            reads: Bucket::new(def.reads, speed, now),
            writes: Bucket::new(def.writes, speed, now),
            limits: def.compute_policies.clone(),
            window_real: def.compute_window_secs / speed,
            windows: BTreeMap::new(),
        }
    }

    /// Charge one request. `policy` is the compute policy it counts against, if any.
    pub fn charge(
        &mut self,
        now: Instant,
        read: bool,
        policy: Option<&str>,
        sub: &str,
    ) -> Result<Headers, (ArmError, Headers)> {
        let (bucket, header, kind) = if read {
            (
                &mut self.reads,
                "x-ms-ratelimit-remaining-subscription-reads",
                "read",
            )
        } else {
            (
                &mut self.writes,
                "x-ms-ratelimit-remaining-subscription-writes",
                "write",
            )
        };
        bucket.refill(now);
        if bucket.tokens < 1.0 {
            let secs = real_secs_header(bucket.wait());
            let err = ArmError::new(
                429,
                "SubscriptionRequestsThrottled",
                format!("Number of '{kind}' requests for subscription '{sub}' actor 'baton' exceeded. Please try again after '{secs}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling"),
            )
            .retry_after(secs);
            return Err((err, vec![(header, "0".to_string())]));
        }
        bucket.tokens -= 1.0;
        let mut headers = vec![(header, format!("{}", bucket.tokens.floor() as i64))];
        if let Some(policy) = policy {
            match self.charge_policy(now, policy) {
                Ok(h) => headers.extend(h),
                Err(e) => return Err((e, headers)),
            }
        }
        Ok(headers)
    }

    fn charge_policy(
        &mut self,
        now: Instant,
        policy: &str,
    ) -> Result<Option<(&'static str, String)>, ArmError> {
        // A policy the scenario does not limit is not counted, and Azure reports no count for
        // a policy that does not apply (claiming 0 left would tell clients to stop).
        let Some(limit) = self.limits.get(policy).copied() else {
            return Ok(None);
        };
        let window_real = self.window_real;
        let w = self.windows.entry(policy.to_string()).or_insert(Window {
            used: 0,
            start: now,
        });
        let elapsed = now.saturating_duration_since(w.start).as_secs_f64();
        if elapsed >= window_real {
            *w = Window {
                used: 0,
                start: now,
            };
        }
        if w.used >= limit {
            let left = window_real - now.saturating_duration_since(w.start).as_secs_f64();
            let detail = format!(
                "{{\"operationGroup\":\"{policy}\",\"allowedRequestCount\":{limit},\"measuredRequestCount\":{}}}",
                w.used + 1
            );
            let mut err = ArmError::new(
                429,
                "OperationNotAllowed",
                "The server rejected the request because too many requests have been received for this subscription.",
            )
            .detail("TooManyRequests", &detail)
            .retry_after(real_secs_header(left));
            err.headers.push((
                "x-ms-ratelimit-remaining-resource",
                format!("Microsoft.Compute/{policy};0"),
            ));
            return Err(err);
        }
        w.used += 1;
        Ok(Some((
            "x-ms-ratelimit-remaining-resource",
            format!("Microsoft.Compute/{policy};{}", limit - w.used),
        )))
    }
}
