//! How often verify runs: an interval that a systemd calendar and a crontab line can both say
//! exactly (a divisor of an hour, or whole hours that divide a day), so the two files agree.

/// Every `minutes` minutes, aligned to the hour (or to midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    minutes: u32,
}

/// The intervals both forms can say, for the error message.
const ALLOWED: &str = "1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60 minutes, or 120, 180, 240, 360, 480, 720 or 1440 (whole hours that divide a day)";

/// `--interval-minutes`: a whole number of minutes that cron and systemd both can repeat.
pub fn parse_minutes(text: &str) -> Result<Schedule, String> {
    let minutes: u32 = text
        .trim()
        .parse()
        .map_err(|_| format!("\"{text}\" is not a whole number of minutes; use {ALLOWED}"))?;
    let fits = (minutes > 0 && 60_u32.is_multiple_of(minutes))
        || (minutes.is_multiple_of(60)
            && minutes > 0
            && minutes <= 1440
            && 24_u32.is_multiple_of(minutes / 60));
    if fits {
        Ok(Schedule { minutes })
    } else {
        Err(format!(
            "every {minutes} minutes cannot be said by both cron and a systemd timer; use {ALLOWED}"
        ))
    }
}

impl Schedule {
    pub fn minutes(self) -> u32 {
        self.minutes
    }

    /// The timer's `OnCalendar=`.
    pub fn on_calendar(self) -> String {
        match self.minutes {
            m if m < 60 => format!("*:0/{m}"),
            60 => "*:00".into(),
            1440 => "*-*-* 00:00:00".into(),
            m => format!("0/{}:00", m / 60),
        }
    }

    /// The crontab line's five time fields.
    pub fn cron(self) -> String {
        match self.minutes {
            1 => "* * * * *".into(),
            m if m < 60 => format!("*/{m} * * * *"),
            60 => "0 * * * *".into(),
            1440 => "0 0 * * *".into(),
            m => format!("0 */{} * * *", m / 60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_say_the_same_interval() {
        let cases = [
            ("1", "*:0/1", "* * * * *"),
            ("15", "*:0/15", "*/15 * * * *"),
            ("60", "*:00", "0 * * * *"),
            ("360", "0/6:00", "0 */6 * * *"),
            ("1440", "*-*-* 00:00:00", "0 0 * * *"),
        ];
        for (text, calendar, cron) in cases {
            let s = parse_minutes(text).expect(text);
            assert_eq!(
                (s.on_calendar().as_str(), s.cron().as_str()),
                (calendar, cron),
                "{text}"
            );
        }
    }

    #[test]
    fn intervals_cron_cannot_say_are_refused_with_the_choices() {
        for bad in ["0", "7", "45", "90", "300", "2880", "x", "-5"] {
            let e = parse_minutes(bad).expect_err(bad);
            assert!(e.contains("1440"), "{e}");
        }
    }
}
