//! `deployment.state_backend`: where a team keeps its states, `s3://BUCKET/PREFIX`.

/// What to write instead of a URL that is not usable.
pub const URL_FIX: &str = "write it as s3://BUCKET/PREFIX (the bucket must exist; the prefix may be empty)";

/// `s3://BUCKET/PREFIX`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendUrl {
    pub bucket: String,
    /// Without leading or trailing `/`; may be empty.
    pub prefix: String,
}

impl BackendUrl {
    /// Parses `s3://bucket/prefix`; the error says what is wrong.
    pub fn parse(url: &str) -> Result<Self, String> {
        let bad = |message: &str| message.to_string();
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| bad("it must start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
            && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !bucket_ok {
            return Err(bad(
                "the bucket name must be 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.contains("//") || prefix.contains(['?', '#', '\\']) {
            return Err(bad("the prefix must be a plain key prefix such as teams/sre"));
        }
        Ok(Self {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }

    /// The key of `name` under the prefix.
    pub fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.prefix)
        }
    }
}

impl std::fmt::Display for BackendUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_with_the_reason() {
        let url = BackendUrl::parse("s3://team-state/sre/prod/").expect("valid");
        assert_eq!(url.bucket, "team-state");
        assert_eq!(url.key("d.json"), "sre/prod/d.json");
        assert_eq!(url.to_string(), "s3://team-state/sre/prod");
        assert_eq!(
            BackendUrl::parse("s3://team-state")
                .expect("no prefix")
                .key("d.json"),
            "d.json"
        );
        for (bad, why) in [
            ("team-state/sre", "s3://"),
            ("https://team-state/sre", "s3://"),
            ("s3://Team_State/sre", "bucket name"),
            ("s3://ab/sre", "bucket name"),
            ("s3:///sre", "bucket name"),
            ("s3://team-state/a//b", "prefix"),
            ("s3://team-state/a?versionId=1", "prefix"),
        ] {
            let err = BackendUrl::parse(bad).expect_err(bad);
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
