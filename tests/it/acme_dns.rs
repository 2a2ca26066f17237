//! DNS-01 through Route 53, against Pebble: the emulator's Route 53 hands each change to Pebble's
//! DNS (pebble-challtestsrv) once it is INSYNC. The CLI issues and removes its record; when the
//! record never reaches the CA's resolver the CA refuses, and the record is still removed; a domain
//! no zone holds names the setting that fixes it; a deploy gets the certificate in its
//! `tls-certificate` step through the same path.
#![allow(clippy::print_stderr)] // the issuance time is reported
#![allow(clippy::disallowed_methods)] // fixtures are plain writes

use std::time::Instant;

use crate::support::acme_fixtures::{
    acme_fixture, certificate_step, copy_pair, deploy_fixture, free_port, hook_runs, refused_renewal, report,
    route53_for,
};
use crate::support::pebble::Pebble;

#[test]
fn dns_01_through_route53_issues_and_always_removes_its_record() {
    let pebble = Pebble::start().expect("pebble");
    let (emu, look, zone) = route53_for(&pebble);
    let f = acme_fixture(&pebble, free_port(), "    challenge: dns-01\n");
    let begun = Instant::now();
    let output = crate::support::deployment::tool(&f, &emu)
        .args(["certificate", "issue", "-c", "config.yaml", "--output", "json"])
        .output()
        .expect("run");
    eprintln!("`certificate issue` over DNS-01 in {:?}", begun.elapsed());
    let issued = report(&output);
    assert_eq!(issued["action"], "issued", "{issued}");
    assert_eq!(hook_runs(&f), 1);
    f.cmd()
        .args(["verify", "--offline", "-c", "config.yaml"])
        .assert()
        .code(0);
    assert!(look.challenge_records(&zone).is_empty(), "the record is removed");
    // It waited for the change: PENDING first (the emulator's propagation), then INSYNC.
    assert!(emu.call_count("GetChange") >= 2, "{:?}", emu.calls());
    assert_eq!(
        emu.call_count("ChangeResourceRecordSets"),
        2,
        "one UPSERT, one DELETE"
    );

    // Route 53 takes the record but it never reaches the CA's resolver: the CA refuses, exit
    // 3, the record is still removed, the files and the hook untouched. (A second fixture: a new
    // account, so Pebble cannot reuse the first one's valid authorization.)
    emu.set_dns_sink(None);
    let unseen = acme_fixture(&pebble, free_port(), "    challenge: dns-01\n");
    let before = copy_pair(&f, &unseen);
    refused_renewal(crate::support::deployment::tool(&unseen, &emu), &unseen, &before);
    assert!(
        look.challenge_records(&zone).is_empty(),
        "removed after the failure too"
    );
    assert_eq!(emu.call_count("ChangeResourceRecordSets"), 4);
    assert_eq!(hook_runs(&unseen), 0);

    // No zone holds the domain: named, with the setting that fixes it.
    let elsewhere = acme_fixture(&pebble, free_port(), "    challenge: dns-01\n");
    std::fs::write(
        elsewhere.path("config.yaml"),
        std::fs::read_to_string(elsewhere.path("config.yaml"))
            .expect("config")
            .replace("backend.sre.test", "backend.other.corp"),
    )
    .expect("config");
    let failed = crate::support::deployment::tool(&elsewhere, &emu)
        .args(["certificate", "issue", "-c", "config.yaml"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&failed.stderr);
    let stdout = String::from_utf8_lossy(&failed.stdout);
    assert_eq!(failed.status.code(), Some(3), "{stderr}{stdout}");
    assert!(stderr.contains("route53_hosted_zone_id"), "{stderr}");
}

#[test]
fn a_deploy_gets_the_certificate_over_dns_01() {
    let pebble = Pebble::start().expect("pebble");
    let (emu, look, zone) = route53_for(&pebble);
    let f = deploy_fixture(&pebble, "certdns", Some(&zone));
    let output = crate::support::deployment::deploy_json(&f, &emu);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let run = report(&output);
    let cert_step = certificate_step(&run);
    assert!(
        cert_step["calls"].as_u64() >= Some(3),
        "its Route 53 calls: {cert_step}"
    );
    assert!(
        stderr.contains("installed the certificate for backend.sre.test"),
        "{stderr}"
    );
    assert!(look.challenge_records(&zone).is_empty(), "the record is removed");
    assert_eq!(emu.call_count("ListHostedZones"), 0, "the zone was given");
    f.cmd()
        .args(["verify", "--offline", "-c", "config.yaml"])
        .assert()
        .code(0);
}

/// A DELETE sent again after its answer was lost meets the service's "not found": the record is
/// gone, which is what was wanted, so the second removal succeeds too.
#[test]
fn removing_a_record_twice_is_not_an_error() {
    use sre_agent_deploy::aws::route53::{delete_txt, upsert_txt, zone_for};
    let emu = crate::support::emulator::Emulator::start().expect("emulator");
    emu.set_dns_propagation(std::time::Duration::ZERO);
    let look = crate::support::look::Look::new(&emu);
    let zone = look.hosted_zone("twice.test");
    let c = look.route53();
    look.rt.block_on(async {
        let found = zone_for(&c, "backend.twice.test").await.expect("zone lookup");
        assert_eq!(found.as_deref(), Some(zone.trim_start_matches("/hostedzone/")));
        let name = "_acme-challenge.backend.twice.test";
        upsert_txt(&c, &found.clone().expect("zone"), name, "token-value")
            .await
            .expect("upsert");
        for attempt in ["first", "again"] {
            delete_txt(&c, &found.clone().expect("zone"), name, "token-value")
                .await
                .unwrap_or_else(|e| panic!("{attempt} delete: {e}"));
        }
    });
    assert!(look.challenge_records(&zone).is_empty());
}
