//! A property of change management, against the emulator: for any sequence of config edits
//! (a target added, a target removed, a backend moved, a target's spec template switched,
//! semantic search turned on or off), each
//! edit followed by `plan`, a deploy and `plan` again ends with "no changes" (exit 0 with
//! `--detailed-exitcode`), the first `plan` shows a change whenever the edit changed anything,
//! and the gateway has exactly the config's targets (no twins, none left behind).
#![allow(clippy::disallowed_methods)] // fixtures are plain writes

use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use crate::plan_drift::run;
use crate::support::Fixture;
use crate::support::deployment::{deploy_ok, tool};
use crate::support::emulator::Emulator;
use crate::support::look::Look;

const NAMES: [&str; 6] = [
    "k8s-api",
    "logs-api",
    "metrics-api",
    "runbooks-api",
    "alerts-api",
    "traces-api",
];
const SPECS: [&str; 4] = ["kubernetes", "logs", "metrics", "runbooks"];

/// One target of the config: name, spec template, backend port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    name: &'static str,
    spec: &'static str,
    port: u16,
}

#[derive(Debug, Clone)]
enum Edit {
    Add {
        name: usize,
        spec: usize,
    },
    Remove(usize),
    Move {
        target: usize,
        port: u16,
    },
    Switch {
        target: usize,
        spec: usize,
    },
    /// Semantic search on or off.
    Semantic(bool),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..NAMES.len(), 0..SPECS.len()).prop_map(|(name, spec)| Edit::Add { name, spec }),
        (0..8_usize).prop_map(Edit::Remove),
        (0..8_usize, 9000..9100_u16).prop_map(|(target, port)| Edit::Move { target, port }),
        (0..8_usize, 0..SPECS.len()).prop_map(|(target, spec)| Edit::Switch { target, spec }),
        any::<bool>().prop_map(Edit::Semantic),
    ]
}

/// The config's edited parts: its targets, and whether semantic search is on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Model {
    targets: Vec<Target>,
    semantic: bool,
}

/// Applies an edit; whether it changed the config (an edit that cannot apply changes nothing).
fn apply(model: &mut Model, edit: &Edit) -> bool {
    let before = model.clone();
    let targets = &mut model.targets;
    match *edit {
        Edit::Add { name, spec } => {
            if !targets.iter().any(|t| t.name == NAMES[name]) {
                targets.push(Target {
                    name: NAMES[name],
                    spec: SPECS[spec],
                    port: 8100,
                });
            }
        }
        Edit::Remove(i) if targets.len() > 1 => {
            targets.remove(i % targets.len());
        }
        Edit::Remove(_) => {}
        Edit::Move { target, port } => {
            let i = target % targets.len();
            targets[i].port = port;
        }
        Edit::Switch { target, spec } => {
            let i = target % targets.len();
            targets[i].spec = SPECS[spec];
        }
        Edit::Semantic(on) => model.semantic = on,
    }
    *model != before
}

fn config(n: usize, model: &Model) -> String {
    let targets = &model.targets;
    let lines = targets.iter().fold(String::new(), |mut lines, t| {
        let _ = writeln!(
            lines,
            "    - {{name: {}, spec: {}, backend_url: \"https://backend.sre-agent.internal:{}\"}}",
            t.name, t.spec, t.port
        );
        lines
    });
    let base = crate::support::deployment::config(&format!("pp{n}"));
    let start = base.find("  targets:\n").expect("targets") + "  targets:\n".len();
    let end = base.find("tls:").expect("tls");
    let semantic = if model.semantic {
        "  semantic_search: true\n"
    } else {
        ""
    };
    format!("{}{lines}{semantic}{}", &base[..start], &base[end..])
}

static EMULATOR: std::sync::LazyLock<Emulator> =
    std::sync::LazyLock::new(|| Emulator::start().expect("emulator"));
static CASE: AtomicUsize = AtomicUsize::new(0);

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 8,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/plan_property.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn plan_then_deploy_then_plan_has_no_changes(edits in prop::collection::vec(edit(), 1..4)) {
        let _campaign = crate::support::heavy();
        let emu = &*EMULATOR;
        let n = CASE.fetch_add(1, Ordering::SeqCst);
        let mut model = Model {
            targets: NAMES[..4]
                .iter()
                .zip(SPECS)
                .zip(8011..)
                .map(|((name, spec), port)| Target { name, spec, port })
                .collect(),
            semantic: false,
        };
        let f = Fixture::with_config(&config(n, &model));
        deploy_ok(&f, emu);
        for edit in &edits {
            let changed = apply(&mut model, edit);
            f.write("config.yaml", &config(n, &model));
            let (code, plan) = run(&f, emu, "plan");
            prop_assert_eq!(code, if changed { 2 } else { 0 }, "{:?}: {:#}", edit, plan);
            let output = tool(&f, emu)
                .args(["--non-interactive", "--no-verify", "--yes", "-c", "config.yaml"])
                .output()
                .expect("run");
            prop_assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
            let (code, plan) = run(&f, emu, "plan");
            prop_assert_eq!(code, 0, "after {:?}: {:#}", edit, plan);
        }
        let look = Look::new(emu);
        let gateway = look.gateways_named(&format!("sre-gw-pp{n}")).pop().expect("the gateway");
        let mut live: Vec<String> = look.rt.block_on(async {
            look.agentcore()
                .list_gateway_targets()
                .gateway_identifier(&gateway)
                .send()
                .await
                .expect("list")
                .items()
                .iter()
                .map(|t| t.name().to_string())
                .collect()
        });
        live.sort();
        let mut wanted: Vec<String> = model.targets.iter().map(|t| t.name.to_string()).collect();
        wanted.sort();
        prop_assert_eq!(live, wanted);
    }
}
