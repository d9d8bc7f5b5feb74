//! The property runner passes a conforming connector and catches one that panics on odd input.

mod support;

use connector_testkit::properties::{self, PropertyConfig};
use support::{AcmeFixture, Flaw};

#[test]
fn a_conforming_connector_passes_every_property() {
    let report = properties::social(&AcmeFixture(Flaw::None));
    assert_eq!(report.checks.len(), 7, "{report}");
}

#[tokio::test]
async fn properties_also_run_from_inside_a_tokio_test() {
    let config = PropertyConfig {
        cases: 4,
        ..PropertyConfig::default()
    };
    let report = properties::check_social(&AcmeFixture(Flaw::None), config);
    assert!(report.passed(), "{report}");
}

#[test]
fn a_connector_that_panics_on_a_callback_without_code_fails_the_callback_property() {
    let report = properties::check_social(
        &AcmeFixture(Flaw::PanicsWithoutCode),
        PropertyConfig::default(),
    );
    let failed: Vec<&str> = report.failures().map(|c| c.name.as_str()).collect();
    assert_eq!(failed, ["property.callback_query"], "{report}");
    let text = report.to_string();
    assert!(
        text.contains("user_info panicked: a callback always has a code"),
        "{text}"
    );
    assert!(text.contains("minimal failing input"), "{text}");
}
