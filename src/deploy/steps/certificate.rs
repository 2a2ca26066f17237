//! `tls-certificate` (with `tls.acme` only): the backends' certificate from the ACME CA, in
//! parallel with the AWS steps. Files that are there and not due are left alone; otherwise the
//! CA issues a pair, it is installed (a different previous pair backed up) and the deploy hook
//! runs, all before the run's verification. The state records the serial and expiry, never a key.

use std::path::Path;

use crate::acme::install::{account_file, answer, install, leaf, run_hook};
use crate::acme::{IssueRequest, issue};
use crate::deploy::context::StepCx;
use crate::deploy::error::DeployError;
use crate::deploy::store::STATE_DIR;

pub async fn certificate(cx: &StepCx) -> Result<(), DeployError> {
    let Some(plan) = &cx.plan().certificate else {
        return Ok(());
    };
    let failed = |message: String, suggestion: String| DeployError::Conflict {
        step: cx.step.clone(),
        resource: format!("the certificate for {}", plan.domain),
        message,
        suggestion,
    };
    let now = time::OffsetDateTime::now_utc();
    if let Some(current) = plan.current(now) {
        cx.say(format!(
            "certificate for {} is not due: serial {}, expires {}",
            plan.domain,
            current.serial,
            current.expires()
        ));
        record(cx, &current).await;
        return Ok(());
    }
    cx.say(format!("asking {} for {}", plan.acme.directory(), plan.domain));
    let account = account_file(&plan.acme, &plan.base_dir, &Path::new(STATE_DIR).join("acme"));
    let ca_bundle = plan.acme.ca_bundle_path.as_ref().map(|p| plan.base_dir.join(p));
    let issued = issue(&IssueRequest {
        directory_url: plan.acme.directory(),
        ca_bundle: ca_bundle.as_deref(),
        email: plan.acme.email.as_deref(),
        domain: &plan.domain,
        answer: answer(&plan.acme, &plan.base_dir),
        account_file: &account,
        key_type: plan.acme.key_type,
    })
    .await
    .map_err(|e| failed(e.to_string(), e.suggestion()))?;
    let backup = install(&plan.cert_path, &plan.key_path, &issued)
        .map_err(|e| failed(e.to_string(), e.suggestion()))?;
    if let Some((cert, _)) = backup {
        cx.say(format!("the previous certificate is kept as {}", cert.display()));
    }
    let Some(installed) = leaf(&plan.cert_path) else {
        return Err(failed(
            format!("{} does not hold the new certificate", plan.cert_path.display()),
            "check the folder's free space and permissions, then resume".into(),
        ));
    };
    cx.say(format!(
        "installed the certificate for {}: serial {}, issuer {}, expires {}",
        plan.domain,
        installed.serial,
        installed.issuer,
        installed.expires()
    ));
    record(cx, &installed).await;
    if let Some(hook) = &plan.acme.deploy_hook {
        cx.say(format!("running the deploy hook: {hook}"));
        run_hook(hook, &plan.cert_path, &plan.key_path, &plan.base_dir).map_err(|status| {
            failed(
                format!("the deploy hook `{hook}` failed ({status}); the new certificate is installed"),
                "fix the hook, run it yourself, then resume".into(),
            )
        })?;
    }
    Ok(())
}

/// The certificate's serial and expiry go into the state's outputs (the key never does).
async fn record(cx: &StepCx, leaf: &crate::acme::install::Leaf) {
    cx.output("tls_certificate_serial", &leaf.serial).await;
    cx.output("tls_certificate_not_after", &leaf.expires()).await;
}
