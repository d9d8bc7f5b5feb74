//! What a suite run found: every check by name, passed, failed (with why) or skipped.

use std::fmt;

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The connector behaved as required.
    Passed,
    /// It did not; the text says what was expected and what happened.
    Failed(String),
    /// The check could not run (an earlier check it needs failed, or it does not apply).
    Skipped(String),
}

/// One named check, e.g. `callback.wrong_state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Stable dotted name: the area (`metadata`, `schema`, `config`, `authorize`, `callback`,
    /// `token`, `userinfo`, `signin`, `send`, `secrets`) then what is checked.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
}

/// The result of a suite run. [`Report::assert_passed`] panics with every failure listed.
///
/// ```
/// use connector_testkit::report::{Outcome, Report};
/// let mut report = Report::new("social", "example");
/// report.pass("metadata.valid");
/// report.fail("callback.wrong_state", "expected authorization_failed, got a profile");
/// assert!(!report.passed());
/// let text = report.to_string();
/// assert!(text.contains("FAILED callback.wrong_state: expected authorization_failed, got a profile"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Which suite ran: `social`, `email`, `properties`.
    pub suite: String,
    /// The connector's factory id.
    pub connector: String,
    /// Every check, in the order it ran.
    pub checks: Vec<Check>,
}

impl Report {
    /// An empty report.
    pub fn new(suite: impl Into<String>, connector: impl Into<String>) -> Self {
        Self {
            suite: suite.into(),
            connector: connector.into(),
            checks: Vec::new(),
        }
    }

    /// Records a check.
    pub fn record(&mut self, name: impl Into<String>, outcome: Outcome) {
        self.checks.push(Check {
            name: name.into(),
            outcome,
        });
    }

    /// Records a passed check.
    pub fn pass(&mut self, name: impl Into<String>) {
        self.record(name, Outcome::Passed);
    }

    /// Records a failed check and why.
    pub fn fail(&mut self, name: impl Into<String>, why: impl Into<String>) {
        self.record(name, Outcome::Failed(why.into()));
    }

    /// Records a skipped check and why.
    pub fn skip(&mut self, name: impl Into<String>, why: impl Into<String>) {
        self.record(name, Outcome::Skipped(why.into()));
    }

    /// Records `Ok` as passed and `Err(why)` as failed.
    pub fn check(&mut self, name: impl Into<String>, result: Result<(), String>) {
        match result {
            Ok(()) => self.pass(name),
            Err(why) => self.fail(name, why),
        }
    }

    /// The check with this name, if it ran.
    pub fn get(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// Whether a check with this name ran and passed.
    pub fn is_passed(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|c| matches!(c.outcome, Outcome::Passed))
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Failed(_)))
    }

    /// Whether no check failed.
    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }

    /// `Ok(self)` when no check failed, else `Err(self)`.
    pub fn into_result(self) -> Result<Self, Self> {
        if self.passed() {
            Ok(self)
        } else {
            Err(self)
        }
    }

    /// Panics, listing every failed check and why, unless all passed. Returns the report.
    #[track_caller]
    pub fn assert_passed(self) -> Self {
        if !self.passed() {
            panic!("{self}");
        }
        self
    }

    fn count(&self, wanted: fn(&Outcome) -> bool) -> usize {
        self.checks.iter().filter(|c| wanted(&c.outcome)).count()
    }
}

impl fmt::Display for Report {
    /// A summary line, then the failures (each with why), then the skipped checks.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.count(|o| matches!(o, Outcome::Failed(_)));
        let skipped = self.count(|o| matches!(o, Outcome::Skipped(_)));
        let passed = self.count(|o| matches!(o, Outcome::Passed));
        write!(
            f,
            "{} conformance of connector `{}`: {} checks, {passed} passed, {failed} failed, {skipped} skipped",
            self.suite,
            self.connector,
            self.checks.len()
        )?;
        for check in &self.checks {
            if let Outcome::Failed(why) = &check.outcome {
                write!(f, "\n  FAILED {}: {why}", check.name)?;
            }
        }
        for check in &self.checks {
            if let Outcome::Skipped(why) = &check.outcome {
                write!(f, "\n  skipped {}: {why}", check.name)?;
            }
        }
        Ok(())
    }
}
