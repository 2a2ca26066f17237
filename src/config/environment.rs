//! Read access to environment variables, behind a trait so loading and validation can be tested
//! with a map instead of the process environment.

use std::collections::HashMap;
use std::hash::BuildHasher;

/// A source of environment variables.
pub trait Environment {
    /// The value of `name`, if it is set and valid Unicode.
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Environment for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<S: BuildHasher> Environment for HashMap<String, String, S> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}
