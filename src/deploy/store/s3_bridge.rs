//! The S3 state's own small runtime. The store is called from plain code (opening, the final
//! save, `Drop` releasing the lock) and from the engine's tasks alike; its calls run on a runtime
//! of its own, and the caller waits for the answer on a channel, which is allowed on any thread.
//! The SDK client lives on that runtime too: its connections belong to the runtime that made them.

use std::future::Future;
use std::path::Path;

use super::StateError;
use crate::aws::AwsError;
use crate::config::AwsConfig;

pub type Client = aws_sdk_s3::Client;

#[derive(Debug)]
pub struct Bridge {
    runtime: Option<tokio::runtime::Runtime>,
    client: Client,
}

impl Bridge {
    /// A runtime of one worker and an S3 client for `aws`'s region, profile and endpoint.
    pub fn new(aws: &AwsConfig) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("state-s3")
            .enable_all()
            .build()?;
        let aws = aws.clone();
        let client = wait(
            &runtime,
            async move { crate::aws::Clients::connect(&aws).await.s3 },
        )?;
        Ok(Self {
            runtime: Some(runtime),
            client,
        })
    }

    /// Runs `call` with the client on the bridge's runtime and waits for its answer (an error
    /// only if the call's task died without one).
    pub fn run<T, F>(&self, call: impl FnOnce(Client) -> F) -> std::io::Result<T>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let future = call(self.client.clone());
        match &self.runtime {
            Some(runtime) => wait(runtime, future),
            None => Err(std::io::Error::other("the state runtime has stopped")),
        }
    }
}

impl Bridge {
    /// Runs an S3 call and waits for it; either way it can fail is a state error naming `path`.
    pub fn send<T, F>(&self, path: &Path, call: impl FnOnce(Client) -> F) -> Result<T, StateError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, AwsError>> + Send + 'static,
    {
        self.run(call)
            .map_err(|source| StateError::Io {
                path: path.to_path_buf(),
                source,
            })?
            .map_err(|error| StateError::Backend {
                path: path.to_path_buf(),
                error: Box::new(error),
            })
    }
}

/// Spawns `future` on `runtime` and blocks the calling thread until it answers.
fn wait<T: Send + 'static>(
    runtime: &tokio::runtime::Runtime,
    future: impl Future<Output = T> + Send + 'static,
) -> std::io::Result<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    runtime.spawn(async move {
        let _ = tx.send(future.await);
    });
    rx.recv()
        .map_err(|_| std::io::Error::other("the state runtime dropped a call"))
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // Allowed where blocking is not (the store may be dropped inside the engine's tasks).
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
