//! `tls-certificate` (with `tls.acme` only): the backends' certificate from the ACME CA, in
//! parallel with the AWS steps. Files that are there and not due are left alone; otherwise the
//! CA issues a pair, it is installed (a different previous pair backed up) and the deploy hook
//! runs, all before the run's verification. The state records the serial and expiry, never a key.

use crate::acme::install::Leaf;
use crate::deploy::context::StepCx;
use crate::deploy::error::DeployError;

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
    cx.say(format!(
        "asking {} for {} ({})",
        plan.acme.directory(),
        plan.domain,
        plan.acme.challenge.as_str()
    ));
    let route53 = plan.needs_route53().then(|| &cx.clients().route53);
    let obtained = plan
        .obtain(route53)
        .await
        .map_err(|e| failed(e.to_string(), e.suggestion()))?;
    if let Some((cert, _)) = &obtained.backup {
        cx.say(format!("the previous certificate is kept as {}", cert.display()));
    }
    if let Some(leftover) = &obtained.leftover {
        cx.say(format!("warning: {leftover}"));
    }
    let installed = &obtained.leaf;
    cx.say(format!(
        "installed the certificate for {}: serial {}, issuer {}, expires {}",
        plan.domain,
        installed.serial,
        installed.issuer,
        installed.expires()
    ));
    record(cx, installed).await;
    if plan.acme.deploy_hook.is_some() {
        cx.say("running the deploy hook");
    }
    plan.run_deploy_hook().map_err(|status| {
        failed(
            format!("the deploy hook failed ({status}); the new certificate is installed"),
            "fix the hook, run it yourself, then resume".into(),
        )
    })?;
    Ok(())
}

/// The certificate's serial and expiry go into the state's outputs (the key never does).
async fn record(cx: &StepCx, leaf: &Leaf) {
    cx.output("tls_certificate_serial", &leaf.serial).await;
    cx.output("tls_certificate_not_after", &leaf.expires()).await;
}
