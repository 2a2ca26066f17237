//! The DNS-01 challenge through Route 53: the `_acme-challenge.<domain>` TXT record is written in
//! the domain's public hosted zone, the change waited for until `INSYNC`, and every record
//! written is removed afterwards, whether validation passed or not.

use std::time::Duration;

use crate::aws::{AwsError, route53};

use super::AcmeError;

/// How the records are written.
#[derive(Debug, Clone)]
pub struct Dns01 {
    pub route53: aws_sdk_route53::Client,
    /// The hosted zone; `None` finds it from the domain (the longest public zone that holds it).
    pub zone_id: Option<String>,
    /// The first wait between two looks at the change (doubling up to 5 s).
    pub poll: Duration,
}

/// One record written: zone, name, value.
#[derive(Debug, Clone)]
struct Record {
    zone: String,
    name: String,
    value: String,
}

/// The records this issuance wrote, in order.
#[derive(Debug, Default)]
pub struct Published {
    records: Vec<Record>,
}

/// A record that could not be removed, and why.
#[derive(Debug)]
pub struct Leftover {
    pub record: String,
    pub zone: String,
    pub error: AwsError,
}

impl Published {
    /// Writes the TXT record for `domain` with `value` and waits until Route 53 serves it.
    pub async fn publish(&mut self, dns: &Dns01, domain: &str, value: &str) -> Result<(), AcmeError> {
        let domain = domain.trim_start_matches("*.");
        let zone = match &dns.zone_id {
            Some(zone) => zone.clone(),
            None => route53::zone_for(&dns.route53, domain)
                .await?
                .ok_or_else(|| AcmeError::NoZone(domain.to_string()))?,
        };
        let name = format!("_acme-challenge.{domain}");
        // Recorded before the call: a call whose answer was lost may have written it.
        self.records.push(Record {
            zone: zone.clone(),
            name: name.clone(),
            value: value.to_string(),
        });
        let change = route53::upsert_txt(&dns.route53, &zone, &name, value).await?;
        route53::wait_insync(&dns.route53, &change, dns.poll).await?;
        Ok(())
    }

    /// Removes every record written; the first one that could not be removed is returned (after
    /// trying the rest).
    pub async fn remove(self, dns: &Dns01) -> Result<(), Leftover> {
        let mut first = None;
        for record in self.records {
            if let Err(error) =
                route53::delete_txt(&dns.route53, &record.zone, &record.name, &record.value).await
            {
                first.get_or_insert(Leftover {
                    record: record.name,
                    zone: record.zone,
                    error,
                });
            }
        }
        first.map_or(Ok(()), Err)
    }
}
