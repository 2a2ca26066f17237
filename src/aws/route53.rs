//! Route 53: the `_acme-challenge` TXT records of the DNS-01 challenge. Find the public hosted
//! zone of a name, write a record, wait until the change is `INSYNC` (served by every Route 53
//! name server), remove it.

use std::time::{Duration, Instant};

use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord, ResourceRecordSet, RrType,
};

use super::{AwsError, ErrorKind, call};

type Client = aws_sdk_route53::Client;

/// How long a change may take to reach every name server (Route 53 promises 60 s, usually).
pub const INSYNC_TIMEOUT: Duration = Duration::from_mins(5);

/// The public hosted zone that holds `name`: the one whose domain is the longest suffix of it.
/// `None` when no zone of the account holds it.
pub async fn zone_for(c: &Client, name: &str) -> Result<Option<String>, AwsError> {
    let wanted = absolute(name).to_ascii_lowercase();
    let mut best: Option<(usize, String)> = None;
    let mut marker: Option<String> = None;
    loop {
        let page = call(
            "route53:ListHostedZones",
            c.list_hosted_zones().set_marker(marker.take()).send(),
        )
        .await?;
        for zone in page.hosted_zones() {
            let private = zone
                .config()
                .is_some_and(aws_sdk_route53::types::HostedZoneConfig::private_zone);
            let domain = absolute(zone.name()).to_ascii_lowercase();
            let holds = wanted == domain || wanted.ends_with(&format!(".{domain}"));
            if holds && !private && best.as_ref().is_none_or(|(len, _)| domain.len() > *len) {
                best = Some((domain.len(), bare_id(zone.id()).to_string()));
            }
        }
        match page.next_marker() {
            Some(next) if page.is_truncated() => marker = Some(next.to_string()),
            _ => break,
        }
    }
    Ok(best.map(|(_, id)| id))
}

/// Writes (UPSERT) a TXT record of one value; returns the change's id.
pub async fn upsert_txt(c: &Client, zone: &str, name: &str, value: &str) -> Result<String, AwsError> {
    change_txt(c, zone, name, value, ChangeAction::Upsert).await
}

/// Removes a TXT record written by [`upsert_txt`]. A record that is already gone counts as
/// removed (a repeat after a lost answer).
pub async fn delete_txt(c: &Client, zone: &str, name: &str, value: &str) -> Result<(), AwsError> {
    match change_txt(c, zone, name, value, ChangeAction::Delete).await {
        Ok(_) => Ok(()),
        Err(e) if e.code.as_deref() == Some("InvalidChangeBatch") && e.message.contains("not found") => {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

async fn change_txt(
    c: &Client,
    zone: &str,
    name: &str,
    value: &str,
    action: ChangeAction,
) -> Result<String, AwsError> {
    let operation = "route53:ChangeResourceRecordSets";
    let invalid = |e: aws_sdk_route53::error::BuildError| AwsError::other(operation, e.to_string());
    let record = ResourceRecordSet::builder()
        .name(absolute(name))
        .r#type(RrType::Txt)
        .ttl(60)
        .resource_records(
            ResourceRecord::builder()
                .value(format!("\"{value}\""))
                .build()
                .map_err(invalid)?,
        )
        .build()
        .map_err(invalid)?;
    let batch = ChangeBatch::builder()
        .comment("sre-agent-deploy: ACME DNS-01 challenge")
        .changes(
            Change::builder()
                .action(action)
                .resource_record_set(record)
                .build()
                .map_err(invalid)?,
        )
        .build()
        .map_err(invalid)?;
    let answer = call(
        operation,
        c.change_resource_record_sets()
            .hosted_zone_id(zone)
            .change_batch(batch)
            .send(),
    )
    .await?;
    answer
        .change_info()
        .map(|info| info.id().to_string())
        .ok_or_else(|| AwsError::other(operation, "the answer named no change"))
}

/// Waits until the change is `INSYNC`, polling every `poll` (doubling up to 5 s).
pub async fn wait_insync(c: &Client, change: &str, poll: Duration) -> Result<(), AwsError> {
    let begun = Instant::now();
    let mut every = poll;
    loop {
        let answer = call("route53:GetChange", c.get_change().id(bare_id(change)).send()).await?;
        if answer
            .change_info()
            .is_some_and(|i| *i.status() == ChangeStatus::Insync)
        {
            return Ok(());
        }
        if begun.elapsed() >= INSYNC_TIMEOUT {
            return Err(AwsError {
                kind: ErrorKind::Transient,
                ..AwsError::other(
                    "route53:GetChange",
                    format!(
                        "the change {change} was not INSYNC after {} s",
                        INSYNC_TIMEOUT.as_secs()
                    ),
                )
            });
        }
        tokio::time::sleep(every).await;
        every = (every * 2).min(Duration::from_secs(5));
    }
}

/// `name.` (Route 53 answers names with the final dot).
fn absolute(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

/// `Z123` from `/hostedzone/Z123` (and `C123` from `/change/C123`).
fn bare_id(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_are_normalised() {
        assert_eq!(absolute("example.com"), "example.com.");
        assert_eq!(absolute("example.com."), "example.com.");
        assert_eq!(bare_id("/hostedzone/Z123"), "Z123");
        assert_eq!(bare_id("/change/C9"), "C9");
        assert_eq!(bare_id("Z123"), "Z123");
    }
}
