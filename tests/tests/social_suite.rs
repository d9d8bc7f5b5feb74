//! The social suite passes a conforming connector and fails broken ones with a message naming the
//! failed check and why: the suite can fail.

mod support;

use connector_testkit::social;
use support::{panic_message, AcmeFixture, Flaw};

#[tokio::test]
async fn a_conforming_connector_passes_every_check() {
    let report = social::check(&AcmeFixture(Flaw::None)).await;
    assert!(report.passed(), "{report}");
    // The suite really ran its checks, not a vacuous subset.
    for name in [
        "metadata.valid",
        "schema.secret_fields_write_only",
        "config.bad_config[0] (clientId)",
        "authorize.url_parameters",
        "authorize.pkce",
        "callback.wrong_state",
        "callback.missing_state",
        "callback.replayed_state",
        "callback.provider_error",
        "callback.code_reuse",
        "signin.success",
        "signin.token_request",
        "token.400 invalid_grant",
        "token.401 invalid_client",
        "token.200 with a body over the size cap",
        "token.never answers",
        "token.accepts_but_never_answers",
        "userinfo.401 invalid token",
        "userinfo.200 with truncated JSON",
        "secrets.no_leak",
        "secrets.no_leak_in_tracing",
    ] {
        assert!(report.is_passed(name), "{name} did not pass:\n{report}");
    }
}

#[tokio::test]
async fn run_returns_the_report_when_every_check_passes() {
    let report = social::run(&AcmeFixture(Flaw::None)).await;
    assert!(report.checks.len() > 40, "{report}");
}

#[tokio::test]
async fn a_connector_that_ignores_state_fails_the_state_checks() {
    let message = panic_message(async { social::run(&AcmeFixture(Flaw::IgnoresState)).await })
        .await
        .expect("the suite must fail");
    for expected in [
        "FAILED callback.wrong_state: a callback whose state differs from the flow's: expected `authorization_failed`, got success (a profile with id `user-42`)",
        "FAILED callback.missing_state: a callback without state: expected `authorization_failed`, got success",
        "FAILED callback.replayed_state: a callback carrying the state of an earlier flow, presented with a newer flow: expected `authorization_failed`, got success",
        "FAILED callback.provider_error: a callback with error=access_denied (the user refused): expected `authorization_failed`, got success",
    ] {
        assert!(message.contains(expected), "missing `{expected}` in:\n{message}");
    }
    // Only the state checks fail: the message points at the defect, not at noise.
    assert!(!message.contains("FAILED token."), "{message}");
    assert!(!message.contains("FAILED secrets."), "{message}");
}

#[tokio::test]
async fn a_connector_that_leaks_its_secret_in_debug_fails_the_leak_check() {
    let message =
        panic_message(async { social::run(&AcmeFixture(Flaw::LeaksSecretInDebug)).await })
            .await
            .expect("the suite must fail");
    let expected = format!(
        "FAILED secrets.no_leak: a config secret appeared in Debug, Display, an error or a URL: secret #0 ({} chars, starts `acm…`) appeared in the connector (Debug); the connector (pretty Debug)",
        support::SECRET.len()
    );
    assert!(message.contains(&expected), "{message}");
    // The failure message itself does not print the secret.
    assert!(!message.contains(support::SECRET), "{message}");
}

#[tokio::test]
async fn a_connector_that_maps_401_to_general_fails_the_error_mapping_checks() {
    let message = panic_message(async { social::run(&AcmeFixture(Flaw::Maps401ToGeneral)).await })
        .await
        .expect("the suite must fail");
    assert!(
        message.contains("FAILED token.401 invalid_client: the token endpoint answers 401 invalid_client: expected `invalid_config`, got `general`"),
        "{message}"
    );
    assert!(
        message.contains("FAILED userinfo.401 invalid token: the user-info endpoint answers 401 invalid token: expected `social_invalid_access_token`, got `general`"),
        "{message}"
    );
}

#[tokio::test]
async fn a_connector_that_logs_its_secret_fails_the_tracing_check() {
    // Logged while creating (sync) and while signing in (async, on the suite's spawned tasks).
    for flaw in [Flaw::LogsSecret, Flaw::LogsSecretWhileSigningIn] {
        let report = social::check(&AcmeFixture(flaw)).await;
        let failed: Vec<&str> = report.failures().map(|c| c.name.as_str()).collect();
        assert_eq!(failed, ["secrets.no_leak_in_tracing"], "{flaw:?}: {report}");
        assert!(
            report
                .to_string()
                .contains("a config secret appeared in the captured tracing output: secret #0"),
            "{report}"
        );
    }
}

#[tokio::test]
async fn a_secret_field_without_write_only_fails_the_schema_check() {
    let report = social::check(&AcmeFixture(Flaw::PlainSecretSchema)).await;
    let failed: Vec<&str> = report.failures().map(|c| c.name.as_str()).collect();
    assert_eq!(failed, ["schema.secret_fields_write_only"], "{report}");
    assert!(
        report.to_string().contains(
            "`clientSecret` holds a secret (its good-config value is listed by secrets()) but the schema does not mark it writeOnly"
        ),
        "{report}"
    );
}
