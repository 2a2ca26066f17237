//! `init`: writes the commented example config, and the JSON Schema beside it so editors with the
//! YAML language server validate the file as it is filled in.

use std::io::Write;

use super::Cx;
use crate::cli::InitArgs;
use crate::config::schema::SCHEMA_FILE;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::files::{write_atomic, write_new};
use crate::templates::CONFIG_EXAMPLE;

/// The schema comment as it stands in the repository's template.
const TEMPLATE_SCHEMA_COMMENT: &str = "# yaml-language-server: $schema=../schemas/config.schema.json";

pub fn run(args: &InitArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let config = CONFIG_EXAMPLE.replacen(
        TEMPLATE_SCHEMA_COMMENT,
        &format!("# yaml-language-server: $schema=./{SCHEMA_FILE}"),
        1,
    );
    if args.force {
        write_atomic(&args.output, config.as_bytes())?;
    } else {
        write_new(&args.output, config.as_bytes())?;
    }
    let folder = args.output.parent().unwrap_or_else(|| std::path::Path::new(""));
    let schema_path = folder.join(SCHEMA_FILE);
    write_atomic(
        &schema_path,
        crate::config::schema::config_schema_text().as_bytes(),
    )?;
    cx.printer.text(
        out,
        &format!(
            "wrote {} (and its schema, {})\nnext: fill in the values marked YOUR_..., then run\n  sre-agent-deploy --validate-only --config {}\n",
            args.output.display(),
            schema_path.display(),
            args.output.display()
        ),
    )?;
    Ok(ExitStatus::Success)
}
