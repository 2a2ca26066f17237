//! `verify`: prove a deployment works, and write its reports (and, with `--prometheus`, its
//! metrics). The same verification ends every deploy and resume. It reads the state file but
//! never writes it, and makes one AWS call at most (reading the app client's secret from Cognito).

use std::io::Write;

use super::{Cx, invalid};
use crate::cli::VerifyArgs;
use crate::config::load::load;
use crate::deploy::session;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::files;
use crate::verify::job::{Job, verify};
use crate::verify::metrics;

/// `sre-agent-deploy verify`.
pub fn run(args: &VerifyArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let loaded = load(&args.common.config, cx.env, &args.common.overrides()?)?;
    cx.notices(&loaded);
    let result = loaded.validate(cx.env);
    let Some(config) = loaded.config.clone().filter(|_| !result.has_errors()) else {
        if let Some(path) = &args.prometheus {
            // The run failed: say so to Prometheus too. The findings are the result either way.
            let text = metrics::unverified(time::OffsetDateTime::now_utc()).render();
            if let Err(e) = files::write_atomic(path, text.as_bytes()) {
                cx.printer
                    .progress()
                    .line("verify", &format!("{e} ({})", e.suggestion()));
            }
        }
        return invalid(cx, &loaded, &result, out);
    };
    // A metrics file that could not be written is found now, not after the network checks.
    if let Some(path) = &args.prometheus {
        files::check_writable(path)?;
    }
    let state = session::recorded(&config, &loaded.base_dir, &args.common.config)?;
    let progress = cx.printer.progress();
    if state.is_none() && !args.offline {
        progress.line(
            "verify",
            "no deployment on record for this config: the token and gateway checks are skipped",
        );
    }
    let rerun = format!(
        "sre-agent-deploy verify --config {}",
        args.common.config.display()
    );
    let mut verified = super::runtime()?.block_on(verify(
        Job {
            config: &config,
            base_dir: &loaded.base_dir,
            state: state.as_ref(),
            env: cx.env,
            online: !args.offline,
            call_tool: args.call_tool.clone(),
            report_dir: args.report_dir.clone(),
            rerun,
        },
        &progress,
    ))?;
    if let Some(path) = &args.prometheus {
        verified.write_metrics(path, &config, &loaded.base_dir, args.strict)?;
    }
    cx.printer.result(out, &verified)?;
    Ok(verified.exit_status(args.strict))
}
