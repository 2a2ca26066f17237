//! The integration tests, in one binary so that the AWS SDK and the emulator link once. One
//! module per area; a module's tests run together with `cargo test --test it <module>::`, and
//! the campaigns alone with `cargo test --test it campaign`.

mod support;

mod acme;
mod acme_dns;
mod architecture;
mod change_apply;
mod cleanup_safety;
mod cli_modes;
mod cli_output;
mod cli_validate;
mod compat;
mod crash_campaign;
mod crash_campaign_s3;
mod deploy_e2e;
mod engine_service;
mod fault_campaign;
mod gateway_options;
mod import;
mod monitoring;
mod monitoring_install;
mod plan_drift;
mod plan_once;
mod plan_property;
mod preflight;
mod properties;
mod s3_conditional;
mod schema_drift;
mod secret_scan;
mod state_backend;
mod state_files;
mod state_moves;
mod state_races;
mod timing;
mod ui_loop;
mod ui_screens;
mod verify_e2e;
mod verify_properties;
mod verify_remote;
mod verify_report;
mod verify_tls_files;
mod wizard_pty;
