//! Latency and fault rules, shared between a test and the proxy.
//!
//! A rule names an operation (`"CreateRole"`, `"iam:CreateRole"`, `"iam:*"` or `"*"`), a fault kind and a
//! trigger: the next `n` matching calls, or each matching call with probability `p` drawn from a seeded
//! xorshift64* generator, so a run is repeatable.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// What the proxy does to a call that a rule picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The throttling answer of the call's protocol: JSON `ThrottlingException` (Cognito:
    /// `TooManyRequestsException`), S3 503 `SlowDown`, IAM/STS 400 `Throttling`.
    Throttle,
    /// A 5xx answer (500, 503, ...) with the protocol's error body.
    ServerError(u16),
    /// Close the connection (TCP reset) without answering; the operation does not run.
    Reset,
    /// Run the operation, then close the connection (TCP reset) without answering.
    LoseResponse,
    /// Wait this long, then handle the call normally.
    Delay(Duration),
    /// S3's 409 `ConditionalRequestConflict`: another conditional write to the key won the race
    /// (moto never answers it). The operation does not run.
    ConditionalConflict,
    /// The credentials are not allowed the call (403 `AccessDenied`, in the protocol's form).
    /// The operation does not run.
    AccessDenied,
}

impl FaultKind {
    fn slot(self) -> usize {
        match self {
            Self::Throttle => 0,
            Self::ServerError(_) => 1,
            Self::Reset => 2,
            Self::LoseResponse => 3,
            Self::Delay(_) => 4,
            Self::ConditionalConflict => 5,
            Self::AccessDenied => 6,
        }
    }
}

/// When a rule fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// The next `n` matching calls.
    Times(u64),
    /// Each matching call with probability `p` (0.0..=1.0), from a PRNG seeded with `seed`.
    Rate { p: f64, seed: u64 },
}

impl Trigger {
    pub fn times(n: u64) -> Self {
        Self::Times(n)
    }

    pub fn rate(p: f64, seed: u64) -> Self {
        Self::Rate { p, seed }
    }
}

/// One fault rule.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// `"*"`, an operation name (`"CreateRole"`), or `service:operation` (`"iam:CreateRole"`,
    /// `"s3:*"`), where service is the SigV4 signing name.
    pub operation: String,
    pub kind: FaultKind,
    pub trigger: Trigger,
}

impl FaultRule {
    pub fn new(operation: impl Into<String>, kind: FaultKind, trigger: Trigger) -> Self {
        Self {
            operation: operation.into(),
            kind,
            trigger,
        }
    }

    /// The next `n` calls of `operation` get `kind`.
    pub fn times(operation: impl Into<String>, kind: FaultKind, n: u64) -> Self {
        Self::new(operation, kind, Trigger::Times(n))
    }

    /// Each call of `operation` gets `kind` with probability `p`, repeatably for a given `seed`.
    pub fn rate(operation: impl Into<String>, kind: FaultKind, p: f64, seed: u64) -> Self {
        Self::new(operation, kind, Trigger::Rate { p, seed })
    }

    fn matches(&self, service: &str, operation: &str) -> bool {
        operation_matches(&self.operation, service, operation)
    }
}

/// `"*"`, `"Op"`, `"service:Op"` or `"service:*"` against one call.
pub fn operation_matches(pattern: &str, service: &str, operation: &str) -> bool {
    if pattern == "*" || pattern == operation {
        return true;
    }
    match pattern.split_once(':') {
        Some((svc, op)) => svc == service && (op == "*" || op == operation),
        None => false,
    }
}

/// How many faults of each kind the proxy injected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    pub throttle: u64,
    pub server_error: u64,
    pub reset: u64,
    pub lose_response: u64,
    pub delay: u64,
    pub conditional_conflict: u64,
    pub access_denied: u64,
}

impl FaultCounts {
    pub fn total(&self) -> u64 {
        self.throttle
            + self.server_error
            + self.reset
            + self.lose_response
            + self.delay
            + self.conditional_conflict
            + self.access_denied
    }
}

/// What to do with one call: wait `delay` (latency plus any `Delay` faults), then apply `fault`, if any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Decision {
    pub delay: Duration,
    /// The first non-`Delay` fault that fired.
    pub fault: Option<FaultKind>,
    /// Whether a `Delay` fault fired.
    pub delayed: bool,
    /// Whether a freeze holds the call until it is thawed (see [`Faults::freeze_at`]).
    pub held: bool,
}

/// What becomes of the calls a freeze held, once the test has killed the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thaw {
    /// They run (their effect happens; the answers go nowhere): "the call reached AWS".
    Run,
    /// They are dropped unanswered without running: "the process died before sending".
    Drop,
    /// They go on as if never held: run and answered (the test did something meanwhile).
    Pass,
}

/// A freeze: from the `at`-th call on, every call is held until thawed.
#[derive(Debug, Clone, Copy)]
struct Freeze {
    at: u64,
    seen: u64,
    held: u64,
    thawed: Option<Thaw>,
}

/// xorshift64*: small, fast and repeatable.
#[derive(Debug, Clone)]
struct XorShift64Star(u64);

impl XorShift64Star {
    fn new(seed: u64) -> Self {
        // Zero is a fixed point of xorshift; mix the seed so 0 and small seeds work too.
        let mixed = seed ^ 0x9E37_79B9_7F4A_7C15;
        Self(if mixed == 0 { 0x2545_F491_4F6C_DD1D } else { mixed })
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    #[allow(clippy::cast_precision_loss)]
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug)]
struct ActiveRule {
    rule: FaultRule,
    remaining: u64,
    rng: XorShift64Star,
    fired: u64,
}

#[derive(Debug, Default)]
struct State {
    latency: Duration,
    rules: Vec<Option<ActiveRule>>,
    counts: [u64; 7],
    freeze: Option<Freeze>,
}

/// Latency and fault rules; cheap to clone (all clones share the same state).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<State>>,
}

/// Identifies a rule added with [`Faults::add_rule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RuleId(usize);

impl Faults {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Added before every request is handled.
    pub fn set_latency(&self, latency: Duration) {
        self.state().latency = latency;
    }

    pub fn latency(&self) -> Duration {
        self.state().latency
    }

    /// Rules are checked in the order they were added. All firing `Delay` rules add up; the first firing
    /// rule of another kind decides the call, and later non-`Delay` rules are not consulted (a `times`
    /// rule that is not consulted keeps its count).
    pub fn add_rule(&self, rule: FaultRule) -> RuleId {
        let (remaining, seed) = match rule.trigger {
            Trigger::Times(n) => (n, 0),
            Trigger::Rate { seed, .. } => (u64::MAX, seed),
        };
        let mut state = self.state();
        state.rules.push(Some(ActiveRule {
            rule,
            remaining,
            rng: XorShift64Star::new(seed),
            fired: 0,
        }));
        RuleId(state.rules.len() - 1)
    }

    /// Removes one rule.
    pub fn remove_rule(&self, id: RuleId) {
        if let Some(slot) = self.state().rules.get_mut(id.0) {
            *slot = None;
        }
    }

    /// How many times a rule fired (0 for a removed rule).
    pub fn fired(&self, id: RuleId) -> u64 {
        self.state()
            .rules
            .get(id.0)
            .and_then(Option::as_ref)
            .map_or(0, |r| r.fired)
    }

    /// Removes every rule and sets the latency back to zero. The counters are kept. A freeze
    /// still holding calls is thawed with [`Thaw::Drop`].
    pub fn clear(&self) {
        let mut state = self.state();
        state.rules.clear();
        state.latency = Duration::ZERO;
        if let Some(freeze) = &mut state.freeze {
            freeze.thawed.get_or_insert(Thaw::Drop);
        }
    }

    /// Holds the `at`-th call from now (1 = the next one) and every call after it, until
    /// [`thaw`](Self::thaw): the process under test can then be killed at exactly that point.
    pub fn freeze_at(&self, at: u64) {
        self.state().freeze = Some(Freeze {
            at: at.max(1),
            seen: 0,
            held: 0,
            thawed: None,
        });
    }

    /// How many calls the freeze holds (or held).
    pub fn held(&self) -> u64 {
        self.state().freeze.map_or(0, |f| f.held)
    }

    /// Releases the held calls as `how` says; later calls pass normally.
    pub fn thaw(&self, how: Thaw) {
        if let Some(freeze) = &mut self.state().freeze {
            freeze.thawed = Some(how);
        }
    }

    /// For a held call: how it is released, once the freeze is thawed.
    pub fn thawed(&self) -> Option<Thaw> {
        self.state().freeze.and_then(|f| f.thawed)
    }

    /// How many faults of each kind were injected so far.
    pub fn counts(&self) -> FaultCounts {
        let c = self.state().counts;
        FaultCounts {
            throttle: c[0],
            server_error: c[1],
            reset: c[2],
            lose_response: c[3],
            delay: c[4],
            conditional_conflict: c[5],
            access_denied: c[6],
        }
    }

    /// Decides the fate of one call (and counts it as injected). The proxy calls this once per request.
    pub fn decide(&self, service: &str, operation: &str) -> Decision {
        let mut state = self.state();
        let mut decision = Decision {
            delay: state.latency,
            fault: None,
            delayed: false,
            held: false,
        };
        if let Some(freeze) = &mut state.freeze
            && freeze.thawed.is_none()
        {
            freeze.seen += 1;
            if freeze.seen >= freeze.at {
                freeze.held += 1;
                decision.held = true;
                return decision;
            }
        }
        let mut fired_kinds = Vec::new();
        for active in state.rules.iter_mut().flatten() {
            let is_delay = matches!(active.rule.kind, FaultKind::Delay(_));
            if (!is_delay && decision.fault.is_some()) || !active.rule.matches(service, operation) {
                continue;
            }
            let fires = match active.rule.trigger {
                Trigger::Times(_) => {
                    if active.remaining == 0 {
                        false
                    } else {
                        active.remaining -= 1;
                        true
                    }
                }
                Trigger::Rate { p, .. } => active.rng.next_f64() < p,
            };
            if !fires {
                continue;
            }
            active.fired += 1;
            fired_kinds.push(active.rule.kind);
            match active.rule.kind {
                FaultKind::Delay(d) => {
                    decision.delay += d;
                    decision.delayed = true;
                }
                kind => decision.fault = Some(kind),
            }
        }
        for kind in fired_kinds {
            state.counts[kind.slot()] += 1;
        }
        decision
    }
}
