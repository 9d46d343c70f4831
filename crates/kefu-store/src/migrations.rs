//! Each backend's migrations, embedded in the binary so `kefu migrate` needs no files at run time.
//! Add a migration by adding a file under `migrations/<backend>/` and a line to each list below.

use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;

fn migrator(files: &[(i64, &'static str, &'static str)]) -> Migrator {
    let migrations: Vec<Migration> = files
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                false,
            )
        })
        .collect();
    Migrator { migrations: Cow::Owned(migrations), ..Migrator::DEFAULT }
}

pub fn sqlite() -> Migrator {
    migrator(&[
        (1, "foundation", include_str!("../migrations/sqlite/0001_foundation.sql")),
        (2, "tickets", include_str!("../migrations/sqlite/0002_tickets.sql")),
        (3, "customer_files", include_str!("../migrations/sqlite/0003_customer_files.sql")),
        (4, "notifications", include_str!("../migrations/sqlite/0004_notifications.sql")),
        (5, "list_indexes", include_str!("../migrations/sqlite/0005_list_indexes.sql")),
        (6, "sla", include_str!("../migrations/sqlite/0006_sla.sql")),
        (7, "routing", include_str!("../migrations/sqlite/0007_routing.sql")),
        (8, "quick_replies", include_str!("../migrations/sqlite/0008_quick_replies.sql")),
        (9, "jobs", include_str!("../migrations/sqlite/0009_jobs.sql")),
        (10, "chat", include_str!("../migrations/sqlite/0010_chat.sql")),
        (11, "email", include_str!("../migrations/sqlite/0011_email.sql")),
        (12, "integrations", include_str!("../migrations/sqlite/0012_integrations.sql")),
        (13, "offers", include_str!("../migrations/sqlite/0013_offers.sql")),
        (14, "orders", include_str!("../migrations/sqlite/0014_orders.sql")),
        (15, "aftersales", include_str!("../migrations/sqlite/0015_aftersales.sql")),
        (16, "approvals", include_str!("../migrations/sqlite/0016_approvals.sql")),
        (17, "satisfaction", include_str!("../migrations/sqlite/0017_satisfaction.sql")),
        (18, "complaints", include_str!("../migrations/sqlite/0018_complaints.sql")),
        (19, "shop_actions", include_str!("../migrations/sqlite/0019_shop_actions.sql")),
        (20, "return_rules", include_str!("../migrations/sqlite/0020_return_rules.sql")),
        (21, "nps", include_str!("../migrations/sqlite/0021_nps.sql")),
        (
            22,
            "complaint_handling_target",
            include_str!("../migrations/sqlite/0022_complaint_handling_target.sql"),
        ),
        (23, "member_rights", include_str!("../migrations/sqlite/0023_member_rights.sql")),
    ])
}

pub fn postgres() -> Migrator {
    migrator(&[
        (1, "foundation", include_str!("../migrations/postgres/0001_foundation.sql")),
        (2, "tickets", include_str!("../migrations/postgres/0002_tickets.sql")),
        (3, "customer_files", include_str!("../migrations/postgres/0003_customer_files.sql")),
        (4, "notifications", include_str!("../migrations/postgres/0004_notifications.sql")),
        (5, "list_indexes", include_str!("../migrations/postgres/0005_list_indexes.sql")),
        (6, "sla", include_str!("../migrations/postgres/0006_sla.sql")),
        (7, "routing", include_str!("../migrations/postgres/0007_routing.sql")),
        (8, "quick_replies", include_str!("../migrations/postgres/0008_quick_replies.sql")),
        (9, "jobs", include_str!("../migrations/postgres/0009_jobs.sql")),
        (10, "chat", include_str!("../migrations/postgres/0010_chat.sql")),
        (11, "email", include_str!("../migrations/postgres/0011_email.sql")),
        (12, "integrations", include_str!("../migrations/postgres/0012_integrations.sql")),
        (13, "offers", include_str!("../migrations/postgres/0013_offers.sql")),
        (14, "orders", include_str!("../migrations/postgres/0014_orders.sql")),
        (15, "aftersales", include_str!("../migrations/postgres/0015_aftersales.sql")),
        (16, "approvals", include_str!("../migrations/postgres/0016_approvals.sql")),
        (17, "satisfaction", include_str!("../migrations/postgres/0017_satisfaction.sql")),
        (18, "complaints", include_str!("../migrations/postgres/0018_complaints.sql")),
        (19, "shop_actions", include_str!("../migrations/postgres/0019_shop_actions.sql")),
        (20, "return_rules", include_str!("../migrations/postgres/0020_return_rules.sql")),
        (21, "nps", include_str!("../migrations/postgres/0021_nps.sql")),
        (
            22,
            "complaint_handling_target",
            include_str!("../migrations/postgres/0022_complaint_handling_target.sql"),
        ),
        (23, "member_rights", include_str!("../migrations/postgres/0023_member_rights.sql")),
    ])
}
