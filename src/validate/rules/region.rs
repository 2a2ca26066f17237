//! AWS regions: the known list, partitions and "did you mean" for near misses.

use super::{Problem, closest};

/// Public AWS regions (commercial, GovCloud, China, European Sovereign Cloud) as of 2026.
pub const KNOWN_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eusc-de-east-1",
];

/// Checks that `value` is a known AWS region, suggesting the closest one for a near miss.
pub fn region(value: &str) -> Result<(), Problem> {
    if KNOWN_REGIONS.contains(&value) {
        return Ok(());
    }
    let problem = Problem::new(format!("\"{value}\" is not an AWS region"));
    Err(match closest(value, KNOWN_REGIONS.iter().copied()) {
        Some(near) => problem.suggest(format!("did you mean \"{near}\"?")),
        None => problem.suggest("use a region code such as \"us-east-1\" (see `aws ec2 describe-regions`)"),
    })
}

/// The ARN partition a region belongs to.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("eusc-") {
        "aws-eusc"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_regions_pass() {
        for r in KNOWN_REGIONS {
            assert_eq!(region(r), Ok(()), "{r}");
        }
    }

    #[test]
    fn near_misses_get_a_did_you_mean() {
        for (typo, fix) in [
            ("us-east1", "us-east-1"),
            ("US-EAST-1", "us-east-1"),
            ("eu-west-l", "eu-west-1"),
            ("us_west_2", "us-west-2"),
            ("ap-southest-1", "ap-southeast-1"),
        ] {
            let err = region(typo).expect_err(typo);
            assert_eq!(
                err.suggestion.as_deref(),
                Some(format!("did you mean \"{fix}\"?").as_str())
            );
        }
    }

    #[test]
    fn far_misses_get_a_generic_hint() {
        let err = region("mars-north-9").expect_err("not a region");
        assert!(err.message.contains("mars-north-9"));
        assert!(err.suggestion.expect("hint").contains("us-east-1"));
    }

    #[test]
    fn partitions_follow_the_region_prefix() {
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition("us-east-1"), "aws");
    }
}
