//! Counting AWS calls per deployment step: an SDK interceptor adds each attempt (retries
//! included) to the counter of the step whose task is running, and tells the step's listener (the
//! dashboard) which operation it is.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Told the operation of each attempt (the dashboard's "current AWS operation").
pub type OperationListener = Box<dyn Fn(&str) + Send + Sync>;

/// What one step has sent so far.
#[derive(Default)]
pub struct StepCalls {
    pub attempts: AtomicU32,
    listener: Option<OperationListener>,
}

impl std::fmt::Debug for StepCalls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StepCalls")
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl StepCalls {
    /// Counters that also tell `listener` each operation as it is sent.
    pub fn watched(listener: OperationListener) -> Self {
        Self {
            listener: Some(listener),
            ..Self::default()
        }
    }

    pub fn count(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }
}

tokio::task_local! {
    /// The counters of the step running on this task.
    pub static STEP_CALLS: Arc<StepCalls>;
}

/// The interceptor installed on every client.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallCounter;

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "sre-agent-deploy call counter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Metadata>().map(|m| m.name().to_string());
        let _ = STEP_CALLS.try_with(|calls| {
            calls.attempts.fetch_add(1, Ordering::Relaxed);
            if let (Some(listener), Some(operation)) = (&calls.listener, &operation) {
                listener(operation);
            }
        });
        Ok(())
    }
}
