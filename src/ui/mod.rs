//! The interactive wizard's user interface: the prompts (`wizard`) and the full-screen ratatui
//! screens (`screens`: review, dashboard, failure panel, report) with their state machine. Screens
//! draw from state and never change it; the state changes only through events.
pub mod screens;
