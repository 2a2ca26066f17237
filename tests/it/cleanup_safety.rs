//! Cleanup safety: before a deploy, resources that are not part of it are created with the same
//! name prefixes, the same names where the service allows it (user pools), and the tag of another
//! deployment whose id starts with this one's (`sre-e2e-s` and `sre-e2e-s2`). Cleanup, from the
//! state file and again by tag without one, must delete the deployment and leave every one of them.
#![allow(clippy::disallowed_methods)]

use crate::support::deployment::{assert_none_left_but_pools, fixture, tool};
use crate::support::emulator::Emulator;
use crate::support::look::Look;
use aws_sdk_iam::types::Tag as IamTag;
use aws_sdk_s3::types::{Tag as S3Tag, Tagging};

const TAG: &str = "sre-agent-deploy:deployment-id";

/// Look-alikes of deployment `n`, tagged as deployment `sre-e2e-{n}2`.
fn look_alikes(look: &Look, n: &str) {
    let other = format!("sre-e2e-{n}2");
    look.rt.block_on(async {
        for role in [format!("SreGatewayRole{n}2"), format!("SreGatewayRole{n}-keep")] {
            look.iam()
                .create_role()
                .role_name(role)
                .assume_role_policy_document("{}")
                .tags(IamTag::builder().key(TAG).value(&other).build().expect("tag"))
                .send()
                .await
                .expect("role");
        }
        for bucket in [format!("sre-specs-{n}2"), format!("sre-specs-{n}-keep")] {
            look.s3()
                .create_bucket()
                .bucket(&bucket)
                .send()
                .await
                .expect("bucket");
            look.s3()
                .put_bucket_tagging()
                .bucket(&bucket)
                .tagging(
                    Tagging::builder()
                        .tag_set(S3Tag::builder().key(TAG).value(&other).build().expect("tag"))
                        .build()
                        .expect("tagging"),
                )
                .send()
                .await
                .expect("bucket tags");
        }
        // The very name this deployment's pool gets, and one with its prefix.
        for pool in [
            format!("sre-agent-sre-e2e-{n}"),
            format!("sre-agent-sre-e2e-{n}2"),
        ] {
            look.cognito()
                .create_user_pool()
                .pool_name(pool)
                .user_pool_tags(TAG, &other)
                .send()
                .await
                .expect("pool");
        }
    });
}

fn survivors_are_all_there(look: &Look, n: &str, context: &str) {
    for role in [format!("SreGatewayRole{n}2"), format!("SreGatewayRole{n}-keep")] {
        assert!(look.role_exists(&role), "{context}: {role} survives");
    }
    for bucket in [format!("sre-specs-{n}2"), format!("sre-specs-{n}-keep")] {
        assert!(look.bucket_exists(&bucket), "{context}: {bucket} survives");
    }
    assert_eq!(
        look.pools_named(&format!("sre-agent-sre-e2e-{n}")).len(),
        1,
        "{context}: the same-named pool"
    );
    assert_eq!(
        look.pools_named(&format!("sre-agent-sre-e2e-{n}2")).len(),
        1,
        "{context}: the prefixed pool"
    );
}

#[test]
fn cleanup_by_state_and_by_tag_leaves_every_look_alike() {
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    for (n, by_tag) in [("s", false), ("t", true)] {
        look_alikes(&look, n);
        let f = fixture(n);
        tool(&f, &emu)
            .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
            .assert()
            .code(0);
        assert_eq!(
            look.pools_named(&format!("sre-agent-sre-e2e-{n}")).len(),
            2,
            "a twin-named pool was made"
        );
        if by_tag {
            std::fs::remove_file(f.path(&format!(".sre-agent-deploy/sre-e2e-{n}.json")))
                .expect("remove state");
        }
        let output = tool(&f, &emu)
            .args([
                "--cleanup",
                "--deployment-id",
                &format!("sre-e2e-{n}"),
                "--yes",
                "--region",
                "us-east-1",
            ])
            .output()
            .expect("cleanup");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let context = if by_tag {
            "cleanup by tag"
        } else {
            "cleanup by state"
        };
        survivors_are_all_there(&look, n, context);
        // The deployment's own pool is gone; the same-named look-alike is the one left.
        assert_none_left_but_pools(&emu, &look, n, context, 1);
    }
}
