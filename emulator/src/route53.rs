//! Route 53 record changes as the service makes them, where moto is kinder: moto answers every
//! `ChangeResourceRecordSets` with the same change id, `INSYNC` at once. The service answers
//! `PENDING` with a change id of its own, and only once the change has reached its name servers
//! does `GetChange` say `INSYNC`. Here that takes [`Route53::set_propagation`] (default 1 s); at
//! that moment each change is also handed to the DNS sink (a test's authoritative DNS, such as
//! pebble-challtestsrv), so a client that does not wait for `INSYNC` sees what it would see for
//! real: a record not served yet. A `DELETE` of a record that is not there is refused with the
//! service's `InvalidChangeBatch` ("... but it was not found"), where moto lets it pass.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::Response;

type Resp = Response<Full<Bytes>>;

/// One change of a `ChangeResourceRecordSets` batch, as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsChange {
    /// `CREATE`, `UPSERT` or `DELETE`.
    pub action: String,
    /// The record's name, as sent (`_acme-challenge.example.com.`).
    pub name: String,
    /// `TXT`, `A`, ...
    pub record_type: String,
    /// The values as Route 53 keeps them (a TXT value in its double quotes).
    pub values: Vec<String>,
}

/// Receives each change when it reaches the name servers. Runs on a blocking thread.
pub type DnsSink = Arc<dyn Fn(&DnsChange) + Send + Sync>;

/// The changes made through the proxy.
pub struct Route53 {
    propagation: Mutex<Duration>,
    sink: Mutex<Option<DnsSink>>,
    /// In sync or not, by change id (`C...`).
    changes: Arc<Mutex<HashMap<String, bool>>>,
    next: AtomicU64,
}

impl std::fmt::Debug for Route53 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route53")
            .field("propagation", &*lock(&self.propagation))
            .field("changes", &*lock(&self.changes))
            .finish_non_exhaustive()
    }
}

impl Default for Route53 {
    fn default() -> Self {
        Self {
            propagation: Mutex::new(Duration::from_secs(1)),
            sink: Mutex::new(None),
            changes: Arc::default(),
            next: AtomicU64::new(1),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Route53 {
    pub fn set_propagation(&self, d: Duration) {
        *lock(&self.propagation) = d;
    }

    pub fn set_sink(&self, sink: Option<DnsSink>) {
        *lock(&self.sink) = sink;
    }

    /// moto's answer to a change batch, made PENDING under a new change id; the change goes
    /// INSYNC (and to the sink) after the propagation time.
    pub async fn changed(&self, request: &[u8], response: Resp) -> Resp {
        let id = format!("C{:012X}", self.next.fetch_add(1, Ordering::Relaxed));
        lock(&self.changes).insert(id.clone(), false);
        let batch = parse_changes(&String::from_utf8_lossy(request));
        let delay = *lock(&self.propagation);
        let sink = lock(&self.sink).clone();
        let changes = Arc::clone(&self.changes);
        let key = id.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if let Some(sink) = sink {
                let _ = tokio::task::spawn_blocking(move || batch.iter().for_each(|c| sink(c))).await;
            }
            lock(&changes).insert(key, true);
        });
        rewrite_xml(response, |xml| {
            let xml = replace_between(xml, "<Id>", "</Id>", &format!("/change/{id}"));
            replace_between(&xml, "<Status>", "</Status>", "PENDING")
        })
        .await
    }

    /// The service's refusal of a batch that deletes a record the zone does not hold; `None` to
    /// let moto run it.
    pub async fn refuse_missing_delete(
        &self,
        parts: &hyper::http::request::Parts,
        request: &[u8],
        moto: std::net::SocketAddr,
    ) -> Option<Resp> {
        let batch = parse_changes(&String::from_utf8_lossy(request));
        let deletes: Vec<&DnsChange> = batch.iter().filter(|c| c.action == "DELETE").collect();
        if deletes.is_empty() {
            return None;
        }
        let mut list = parts.clone();
        list.method = hyper::Method::GET;
        list.uri = parts.uri.path().trim_end_matches('/').parse().ok()?;
        list.headers.remove(hyper::header::CONTENT_LENGTH);
        let answer = super::proxy::forward(list, Bytes::new(), moto).await.ok()?;
        let xml = answer.into_body().collect().await.ok()?.to_bytes();
        let xml = String::from_utf8_lossy(&xml);
        let held: Vec<(String, String, Vec<String>)> = elements(&xml, "ResourceRecordSet")
            .into_iter()
            .map(|set| {
                let first = |tag: &str| {
                    elements(set, tag)
                        .first()
                        .map(|v| unescape(v))
                        .unwrap_or_default()
                };
                let values = elements(set, "Value").into_iter().map(unescape).collect();
                (first("Name"), first("Type"), values)
            })
            .collect();
        let missing = deletes.into_iter().find(|d| {
            !held.iter().any(|(name, kind, values)| {
                name.trim_end_matches('.') == d.name.trim_end_matches('.')
                    && *kind == d.record_type
                    && *values == d.values
            })
        })?;
        Some(super::proxy::reply_to_response(super::wire::Reply::query_error(
            "route53",
            400,
            true,
            "InvalidChangeBatch",
            &format!(
                "[Tried to delete resource record set [name='{}', type='{}'] but it was not found]",
                missing.name, missing.record_type
            ),
        )))
    }

    /// moto's `GetChange` answer, PENDING while the change has not reached the name servers.
    pub async fn get_change(&self, path: &str, response: Resp) -> Resp {
        let id = path.rsplit('/').next().unwrap_or_default();
        let pending = lock(&self.changes).get(id).is_some_and(|synced| !synced);
        if !pending {
            return response;
        }
        rewrite_xml(response, |xml| {
            replace_between(xml, "<Status>", "</Status>", "PENDING")
        })
        .await
    }
}

async fn rewrite_xml(response: Resp, change: impl FnOnce(&str) -> String) -> Resp {
    let (mut head, body) = response.into_parts();
    let bytes = body
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let xml = change(&String::from_utf8_lossy(&bytes));
    head.headers.remove(hyper::header::CONTENT_LENGTH);
    Response::from_parts(head, Full::new(Bytes::from(xml)))
}

/// `text` with the content of the first `<open>...</close>` replaced.
fn replace_between(text: &str, open: &str, close: &str, with: &str) -> String {
    let Some(start) = text.find(open).map(|i| i + open.len()) else {
        return text.to_string();
    };
    let Some(end) = text[start..].find(close).map(|i| i + start) else {
        return text.to_string();
    };
    format!("{}{with}{}", &text[..start], &text[end..])
}

/// The contents of every `<tag>...</tag>` in `text`, in order (no nesting of the same tag).
fn elements<'a>(text: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        found.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    found
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The changes of a `ChangeResourceRecordSetsRequest` body.
pub fn parse_changes(xml: &str) -> Vec<DnsChange> {
    elements(xml, "Change")
        .into_iter()
        .map(|change| {
            let first = |tag: &str| {
                elements(change, tag)
                    .first()
                    .map(|v| unescape(v))
                    .unwrap_or_default()
            };
            DnsChange {
                action: first("Action"),
                name: first("Name"),
                record_type: first("Type"),
                values: elements(change, "Value").into_iter().map(unescape).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_batch_is_read_as_sent() {
        let xml = "<?xml version=\"1.0\"?><ChangeResourceRecordSetsRequest xmlns=\"x\"><ChangeBatch>\
            <Comment>c</Comment><Changes><Change><Action>UPSERT</Action><ResourceRecordSet>\
            <Name>_acme-challenge.a.test.</Name><Type>TXT</Type><TTL>60</TTL><ResourceRecords>\
            <ResourceRecord><Value>&quot;v1&quot;</Value></ResourceRecord></ResourceRecords>\
            </ResourceRecordSet></Change><Change><Action>DELETE</Action><ResourceRecordSet>\
            <Name>b.test.</Name><Type>A</Type><ResourceRecords><ResourceRecord><Value>1.2.3.4</Value>\
            </ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch>\
            </ChangeResourceRecordSetsRequest>";
        let changes = parse_changes(xml);
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].action, "UPSERT");
        assert_eq!(changes[0].name, "_acme-challenge.a.test.");
        assert_eq!(changes[0].record_type, "TXT");
        assert_eq!(changes[0].values, vec!["\"v1\"".to_string()]);
        assert_eq!(changes[1].action, "DELETE");
        assert_eq!(changes[1].values, vec!["1.2.3.4".to_string()]);
    }

    #[test]
    fn only_the_first_element_is_replaced() {
        assert_eq!(
            replace_between("<a><Id>x</Id><Id>y</Id></a>", "<Id>", "</Id>", "z"),
            "<a><Id>z</Id><Id>y</Id></a>"
        );
        assert_eq!(replace_between("<a/>", "<Id>", "</Id>", "z"), "<a/>");
    }
}
