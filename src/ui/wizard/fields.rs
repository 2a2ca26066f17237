//! One question about one config field: asked with its default, checked by the config models
//! (the answer is put into a copy of the config and validated; an error on that field is shown
//! with its fix), then stored. Also the "existing one from a list, or a new name" question.

use super::ask::{Ask, Question, Stopped};
use super::sections::Context;
use crate::config::{Config, ValidationContext, is_placeholder};
use crate::validate::Severity;

/// A value worth offering as a default: not empty and not a template placeholder.
pub fn usable(value: &str) -> Option<String> {
    (!value.trim().is_empty() && !is_placeholder(value)).then(|| value.trim().to_string())
}

/// Asks for a field's value, checked by the model's validators, and stores it.
#[allow(clippy::too_many_arguments)]
pub fn text(
    ask: &mut dyn Ask,
    config: &mut Config,
    cx: &Context<'_>,
    field: &str,
    label: &str,
    help: Option<String>,
    default: Option<String>,
    set: impl Fn(&mut Config, &str),
) -> Result<(), Stopped> {
    let check = |value: &str| check_field(config, cx, field, value, &set);
    let question = Question {
        field,
        label,
        help,
        default,
    };
    let answer = ask.text(&question, &check)?;
    set(config, &answer);
    Ok(())
}

/// A free answer that no single field validates (the check is only "not empty").
pub fn text_value(
    ask: &mut dyn Ask,
    field: &str,
    label: &str,
    help: Option<String>,
    default: String,
) -> Result<String, Stopped> {
    let question = Question {
        field,
        label,
        help,
        default: (!default.is_empty()).then_some(default),
    };
    let check = |value: &str| {
        if value.trim().is_empty() {
            Err(format!("{label} is required"))
        } else {
            Ok(())
        }
    };
    ask.text(&question, &check)
}

/// `Err(message and fix)` when `value` makes `field` invalid.
pub fn check_field(
    config: &Config,
    cx: &Context<'_>,
    field: &str,
    value: &str,
    set: &dyn Fn(&mut Config, &str),
) -> Result<(), String> {
    let mut candidate = config.clone();
    set(&mut candidate, value);
    let ctx = ValidationContext {
        base_dir: cx.base_dir,
        env: cx.env,
    };
    let result = candidate.validate(&ctx);
    let problem = result.findings.iter().find(|f| {
        f.severity == Severity::Error && (f.field == field || f.field.starts_with(&format!("{field}[")))
    });
    match problem {
        None => Ok(()),
        Some(f) => Err(match &f.suggestion {
            Some(fix) => format!("{} (fix: {fix})", f.message),
            None => f.message.clone(),
        }),
    }
}

pub struct Choice<'a> {
    pub field: &'a str,
    pub label: &'a str,
    pub existing: &'a [String],
    pub current: String,
    pub new_label: &'a str,
    pub existing_note: &'a str,
}

/// Offers the existing resources of a kind, or a new one by name.
pub fn choose_or_type(
    ask: &mut dyn Ask,
    config: &mut Config,
    cx: &Context<'_>,
    choice: Choice<'_>,
    set: impl Fn(&mut Config, &str),
) -> Result<(), Stopped> {
    if !choice.existing.is_empty() {
        let mut options = vec![format!("{} (name it next)", choice.new_label)];
        options.extend(choice.existing.iter().cloned());
        let current = choice
            .existing
            .iter()
            .position(|e| *e == choice.current)
            .map_or(0, |i| i + 1);
        let picked = ask.select(choice.label, &options, current, Some(choice.existing_note))?;
        if let Some(existing) = picked.checked_sub(1).and_then(|i| choice.existing.get(i)) {
            set(config, existing);
            return Ok(());
        }
    }
    let default = (!choice.existing.contains(&choice.current)).then_some(choice.current);
    text(ask, config, cx, choice.field, choice.label, None, default, set)
}
