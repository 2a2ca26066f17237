//! S3 conditional writes through the SDK against the emulator (moto 5.2.5 honours them): create
//! only if absent, replace and delete only with the current ETag. A condition that does not hold
//! changes nothing and is reported as a conflict, not an error; so is S3's 409
//! `ConditionalRequestConflict`, which the emulator injects (moto never answers it).

use sre_agent_deploy::aws::s3_conditional::{Written, create, delete, read, replace};

use crate::support::emulator::{Emulator, FaultKind, FaultRule};
use crate::support::look::Look;

#[test]
fn conditional_writes_hold_against_the_emulator() {
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    let s3 = look.s3();
    look.rt.block_on(async {
        s3.create_bucket()
            .bucket("team-state")
            .send()
            .await
            .expect("bucket");
        let key = "sre-agent/sre-team.lock";
        assert_eq!(read(&s3, "team-state", key).await.expect("read"), None);

        let Written::Done(first) = create(&s3, "team-state", key, b"holder: a")
            .await
            .expect("create")
        else {
            panic!("the first create takes the key");
        };
        assert!(!first.is_empty(), "an ETag");
        assert_eq!(
            create(&s3, "team-state", key, b"holder: b")
                .await
                .expect("create"),
            Written::Conflict,
            "If-None-Match: * on an existing key"
        );
        let now = read(&s3, "team-state", key).await.expect("read").expect("there");
        assert_eq!(now.body, b"holder: a", "the second create changed nothing");
        assert_eq!(now.etag, first);

        let Written::Done(second) = replace(&s3, "team-state", key, b"holder: a, saved", &first)
            .await
            .expect("replace")
        else {
            panic!("the current ETag replaces");
        };
        assert_ne!(second, first);
        assert_eq!(
            replace(&s3, "team-state", key, b"lost update", &first)
                .await
                .expect("replace"),
            Written::Conflict,
            "a stale ETag"
        );
        assert_eq!(
            delete(&s3, "team-state", key, &first).await.expect("delete"),
            Written::Conflict,
            "a stale ETag does not delete"
        );
        assert_eq!(
            read(&s3, "team-state", key).await.expect("read").map(|v| v.body),
            Some(b"holder: a, saved".to_vec())
        );
        assert!(matches!(
            delete(&s3, "team-state", key, &second).await.expect("delete"),
            Written::Done(_)
        ));
        assert_eq!(read(&s3, "team-state", key).await.expect("read"), None);

        // Two conditional writes race and the other one wins: S3's 409, which moto never sends.
        emu.faults()
            .add_rule(FaultRule::times("PutObject", FaultKind::ConditionalConflict, 1));
        assert_eq!(
            create(&s3, "team-state", key, b"holder: c")
                .await
                .expect("create"),
            Written::Conflict
        );
        assert_eq!(
            read(&s3, "team-state", key).await.expect("read"),
            None,
            "nothing written"
        );
        assert_eq!(emu.faults().counts().conditional_conflict, 1);
    });
}
