//! Prometheus metrics at `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    /// The route template (`/api/v1/users/{id}`), never the raw path, so label sets stay bounded.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LoginLabels {
    pub outcome: String,
}

pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Family<HttpLabels, Histogram>,
    pub logins: Family<LoginLabels, Counter>,
    /// Days of the next 90 that a holiday-following calendar has no published schedule for (counted
    /// by the weekly rule only): an administrator should import next year's schedule.
    pub sla_uncovered_days: Gauge,
    /// Stored calendars that could not be built (they count as 7×24 until fixed).
    pub sla_broken_calendars: Gauge,
    /// SLA warnings and breaches recorded by this node, by level.
    pub sla_fired: Family<LoginLabels, Counter>,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("kefu");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration = Family::<HttpLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        let logins = Family::<LoginLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered", http_requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            http_duration.clone(),
        );
        registry.register("logins", "Login attempts by outcome", logins.clone());
        let sla_uncovered_days = Gauge::default();
        let sla_broken_calendars = Gauge::default();
        let sla_fired = Family::<LoginLabels, Counter>::default();
        registry.register(
            "sla_uncovered_days",
            "Days of the next 90 without holiday schedule data in a calendar that follows it",
            sla_uncovered_days.clone(),
        );
        registry.register(
            "sla_broken_calendars",
            "Stored calendars that could not be built",
            sla_broken_calendars.clone(),
        );
        registry.register(
            "sla_fired",
            "SLA warnings and breaches recorded (label outcome: warning, breach)",
            sla_fired.clone(),
        );
        Metrics {
            registry,
            http_requests,
            http_duration,
            logins,
            sla_uncovered_days,
            sla_broken_calendars,
            sla_fired,
        }
    }

    pub fn login(&self, outcome: &str) {
        self.logins.get_or_create(&LoginLabels { outcome: outcome.to_string() }).inc();
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
