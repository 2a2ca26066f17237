//! The parts of the config the wizard asks about, section by section. The review screen lists
//! the plan by section and goes back to one; the wizard asks one again.

/// A part of the config the wizard asks about; the review screen can go back to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    Aws,
    Cognito,
    Gateway,
    Tls,
}

impl Section {
    pub const ALL: [Self; 4] = [Self::Aws, Self::Cognito, Self::Gateway, Self::Tls];

    /// How the review screen names it, and how a plan step's section reads: `aws`, `tls`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::Cognito => "cognito",
            Self::Gateway => "gateway",
            Self::Tls => "tls",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Aws => "AWS",
            Self::Cognito => "Cognito",
            Self::Gateway => "Gateway",
            Self::Tls => "TLS",
        }
    }

    /// The section a config field or plan step belongs to (`gateway.targets[0].name`,
    /// `cognito-pool`, `target:logs`, `s3-bucket`...).
    pub fn of(name: &str) -> Option<Self> {
        let head = name.split(['.', '-', ':', '[']).next().unwrap_or(name);
        match head {
            "aws" | "iam" => Some(Self::Aws),
            "cognito" => Some(Self::Cognito),
            "gateway" | "s3" | "credential" | "target" => Some(Self::Gateway),
            "tls" => Some(Self::Tls),
            _ => None,
        }
    }
}

impl std::fmt::Display for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
