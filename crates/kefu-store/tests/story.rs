//! One storage story, run against SQLite and against the PostgreSQL server on 127.0.0.1:5432.

use kefu_core::authz::{authorize, Action, Principal, Scope};
use kefu_core::org::{Role, TeamOwner};
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::*;
use std::sync::Arc;

fn ctx(n: i64) -> AuditCtx {
    AuditCtx {
        actor_id: Some(1),
        actor_name: "admin".into(),
        ip: Some("127.0.0.1".into()),
        request_id: Some(format!("req-{n}")),
        now: Millis(1_790_000_000_000 + n),
    }
}

fn merchant_admin(m: i64) -> Principal {
    Principal {
        user_id: 99,
        username: "ma".into(),
        role: Role::MerchantAdmin,
        merchant_id: Some(m),
        token_id: None,
    }
}

fn new_user(name: &str, role: Role, merchant: Option<i64>) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: format!("{name} 显示名"),
        role,
        merchant_id: merchant,
        team_id: None,
        department_id: None,
        supervisor_id: None,
        password_hash: "$argon2id$fake".into(),
    }
}

async fn story(store: Arc<dyn Store>) {
    store.set_cipher(Arc::new(kefu_store::crypto::PiiCipher::generate().unwrap()));
    let op = Scope::operator(Action::MerchantManage);
    let a = store
        .create_merchant(&op, &ctx(1), NewMerchant { code: "shop-a".into(), name: "甲店".into() })
        .await
        .unwrap();
    let b = store
        .create_merchant(&op, &ctx(2), NewMerchant { code: "shop-b".into(), name: "乙店".into() })
        .await
        .unwrap();
    assert_eq!(a.name, "甲店");

    // Duplicate codes are a conflict naming the field.
    let dup =
        store.create_merchant(&op, &ctx(3), NewMerchant { code: "shop-a".into(), name: "x".into() }).await;
    match dup {
        Err(StoreError::Domain(e)) => {
            assert_eq!(e.code, ErrorCode::Conflict);
            assert_eq!(e.field.as_deref(), Some("code"));
        }
        other => panic!("expected conflict, got {other:?}"),
    }

    // Merchant A's admin works inside A only.
    let sa = authorize(&merchant_admin(a.id), Action::TeamManage).unwrap();
    let team = store
        .create_team(
            &sa,
            &ctx(4),
            NewTeam { merchant_id: None, owner: TeamOwner::Merchant, vendor: None, name: "售后组".into() },
        )
        .await
        .unwrap();
    assert_eq!(team.merchant_id, Some(a.id));
    let foreign = store
        .create_team(
            &sa,
            &ctx(5),
            NewTeam { merchant_id: Some(b.id), owner: TeamOwner::Merchant, vendor: None, name: "x".into() },
        )
        .await;
    assert!(matches!(foreign, Err(StoreError::Domain(e)) if e.code == ErrorCode::NotFound));

    let su = authorize(&merchant_admin(a.id), Action::UserManage).unwrap();
    let mut nu = new_user("agent.a", Role::Agent, None);
    nu.team_id = Some(team.id);
    let ua = store.create_user(&su, &ctx(6), nu).await.unwrap();
    assert_eq!(ua.merchant_id, Some(a.id));
    assert_eq!(ua.team_id, Some(team.id));
    let ub = store.create_user(&op, &ctx(7), new_user("agent.b", Role::Agent, Some(b.id))).await.unwrap();
    // A merchant admin can mint no platform admin, and cannot put a user in another merchant's team.
    assert!(store.create_user(&su, &ctx(8), new_user("evil", Role::PlatformAdmin, None)).await.is_err());
    let mut cross = new_user("cross", Role::Agent, Some(b.id));
    cross.team_id = Some(team.id);
    assert!(store.create_user(&op, &ctx(9), cross).await.is_err());

    // Reads are scoped: B's user is invisible to A's scope; the platform sees both.
    let ra = authorize(&merchant_admin(a.id), Action::UserRead).unwrap();
    assert!(store.get_user(&ra, ub.id).await.unwrap().is_none());
    assert!(store.get_user(&ra, ua.id).await.unwrap().is_some());
    let listed = store.list_users(&ra, PageReq::first(50)).await.unwrap();
    assert!(listed.items.iter().all(|u| u.merchant_id == Some(a.id)));
    let all = store.list_users(&Scope::operator(Action::UserRead), PageReq::first(1)).await.unwrap();
    assert_eq!(all.items.len(), 1);
    assert!(all.next_cursor.is_some(), "a page of one out of two has a next cursor");
    // Updating a foreign user is as if it did not exist.
    let upd = store
        .update_user(&su, &ctx(10), ub.id, UserPatch { display_name: Some("x".into()), ..Default::default() })
        .await;
    assert!(matches!(upd, Err(StoreError::Domain(e)) if e.code == ErrorCode::NotFound));

    // Types round-trip the same on both backends.
    let upd = store
        .update_user(
            &su,
            &ctx(11),
            ua.id,
            UserPatch { disabled: Some(true), role: Some(Role::SeniorAgent), ..Default::default() },
        )
        .await
        .unwrap();
    assert!(upd.disabled);
    assert_eq!(upd.role, Role::SeniorAgent);
    assert_eq!(upd.updated_at, ctx(11).now);

    // Sessions and API tokens are found by fingerprint only while live.
    store.create_session(ua.id, "h1", ctx(12).now, ctx(12).now.plus_ms(1000), None).await.unwrap();
    assert!(store.session_user("h1", ctx(12).now).await.unwrap().is_some());
    assert!(store.session_user("h1", ctx(12).now.plus_ms(1000)).await.unwrap().is_none());
    let tok = store
        .create_api_token(
            &authorize(&merchant_admin(a.id), Action::TokenManage).unwrap(),
            &ctx(13),
            NewApiToken {
                name: "shop sync".into(),
                user_id: ua.id,
                role: Role::Agent,
                merchant_id: None,
                token_hash: "th".into(),
                expires_at: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(tok.merchant_id, Some(a.id));
    assert!(store.api_token_principal("th", ctx(14).now).await.unwrap().is_some());
    store.revoke_api_token(&Scope::operator(Action::TokenManage), &ctx(15), tok.id).await.unwrap();
    assert!(store.api_token_principal("th", ctx(16).now).await.unwrap().is_none());

    // Every write above left an audit record; the chains verify; merchant A's admin sees only A's records.
    let report = verify_audit(store.as_ref()).await.unwrap().unwrap();
    assert!(report.records >= 8, "{report:?}");
    assert!(report.chains >= 2);
    let audit_a = store
        .list_audit(
            &authorize(&merchant_admin(a.id), Action::AuditRead).unwrap(),
            AuditFilter::default(),
            PageReq::first(200),
        )
        .await
        .unwrap();
    assert!(!audit_a.items.is_empty());
    assert!(audit_a.items.iter().all(|r| r.merchant_id == Some(a.id)));
    let creates = store
        .list_audit(
            &op,
            AuditFilter { action: Some("user.create".into()), ..Default::default() },
            PageReq::first(200),
        )
        .await
        .unwrap();
    assert_eq!(creates.items.len(), 2);
    assert!(creates.items[0].id > creates.items[1].id, "newest first");
}

/// Change one stored audit record behind kefu's back, as someone with database access could.
async fn tamper_sqlite(pool: &sqlx::SqlitePool) {
    sqlx::query("DROP TRIGGER audit_log_no_update").execute(pool).await.unwrap();
    sqlx::query("UPDATE audit_log SET actor_name = 'mallory' WHERE id = (SELECT MIN(id) + 1 FROM audit_log)")
        .execute(pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn story_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = test_support::sqlite_url(dir.path());
    story(open(&url, true).await.unwrap()).await;

    // The trail refuses plain edits, and an edit made by dropping the guard is found.
    let s = sqlite::SqliteStore::connect(&url).await.unwrap();
    let refused = sqlx::query("UPDATE audit_log SET actor_name = 'x'").execute(s.raw_pool()).await;
    assert!(refused.unwrap_err().to_string().contains("append-only"));
    tamper_sqlite(s.raw_pool()).await;
    let broken = verify_audit(&s).await.unwrap().unwrap_err();
    assert!(broken.to_string().contains("altered"), "{broken}");
}

#[tokio::test]
async fn story_on_postgres() {
    let url = test_support::fresh_postgres_url().await;
    story(open(&url, true).await.unwrap()).await;

    let s = postgres::PgStore::connect(&url).await.unwrap();
    let refused = sqlx::query("UPDATE audit_log SET actor_name = 'x'").execute(s.raw_pool()).await;
    assert!(refused.unwrap_err().to_string().contains("append-only"));
    sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
        .execute(s.raw_pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE id = (SELECT MIN(id) + 2 FROM audit_log)")
        .execute(s.raw_pool())
        .await
        .unwrap();
    let broken = verify_audit(&s).await.unwrap().unwrap_err();
    assert!(broken.to_string().contains("missing") || broken.to_string().contains("deleted"), "{broken}");
}

#[tokio::test]
async fn migrations_are_idempotent_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let url = test_support::sqlite_url(dir.path());
    open(&url, true).await.unwrap();
    open(&url, true).await.unwrap();
    let pg = test_support::fresh_postgres_url().await;
    open(&pg, true).await.unwrap();
    open(&pg, true).await.unwrap();
}

#[tokio::test]
async fn sqlite_backup_is_a_consistent_copy() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&test_support::sqlite_url(dir.path()), true).await.unwrap();
    let op = Scope::operator(Action::MerchantManage);
    store
        .create_merchant(&op, &ctx(1), NewMerchant { code: "shop-a".into(), name: "甲店".into() })
        .await
        .unwrap();
    let copy = dir.path().join("backup.db");
    store.backup_to(&copy).await.unwrap();
    // Refuses to overwrite.
    assert!(store.backup_to(&copy).await.is_err());
    let restored = open(&format!("sqlite://{}", copy.display()), true).await.unwrap();
    let ms = restored.list_merchants(&op, PageReq::first(10)).await.unwrap();
    assert_eq!(ms.items.len(), 1);
    assert!(verify_audit(restored.as_ref()).await.unwrap().is_ok());
}
