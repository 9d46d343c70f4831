// Query code shared by both backends. This file is `include!`d by `sqlite.rs` and `postgres.rs`, each of
// which defines `Db`, `DbRow`, `StoreImpl`, `BACKEND`, `FOR_UPDATE` and `backup_impl` before including it,
// so the same SQL runs on SQLite and PostgreSQL with each backend's native types. Parameters use `$n`,
// which both databases accept.

use crate::model::*;
use crate::{AuditCtx, Backend, Result, Store, StoreError};
use async_trait::async_trait;
use kefu_core::audit::{chain_for, record_hash, AuditEntry, AuditRecord, GENESIS};
use kefu_core::authz::Scope;
use kefu_core::org::{Role, TeamOwner};
use kefu_core::time::Millis;
use kefu_core::DomainError;
use sqlx::Row;

type Tx<'a> = sqlx::Transaction<'a, Db>;

fn ms(v: Option<i64>) -> Option<Millis> {
    v.map(Millis)
}

/// Turn a unique-constraint violation into a 409 naming the field; pass everything else through.
fn unique_as_conflict(e: sqlx::Error, field: &str, message: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return StoreError::Domain(DomainError::conflict(Some(field), message));
        }
        if db.is_foreign_key_violation() {
            return StoreError::Domain(DomainError::validation(field, format!("{field} refers to nothing")));
        }
    }
    StoreError::Db(e)
}

fn to_json<T: serde::Serialize>(v: &T) -> Option<String> {
    serde_json::to_string(v).ok()
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Other(format!("stored {what} '{value}' is not valid"))
}

fn merchant_row(r: &DbRow) -> Result<Merchant> {
    Ok(Merchant {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        status: r.try_get("status")?,
        created_at: Millis(r.try_get("created_at")?),
        updated_at: Millis(r.try_get("updated_at")?),
    })
}

fn department_row(r: &DbRow) -> Result<Department> {
    Ok(Department {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        created_at: Millis(r.try_get("created_at")?),
    })
}

fn team_row(r: &DbRow) -> Result<Team> {
    let owner: String = r.try_get("owner")?;
    Ok(Team {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        owner: TeamOwner::parse(&owner).map_err(|_| corrupt("team owner", &owner))?,
        vendor: r.try_get("vendor")?,
        name: r.try_get("name")?,
        created_at: Millis(r.try_get("created_at")?),
    })
}

fn role_of(s: &str) -> Result<Role> {
    Role::parse(s).map_err(|_| corrupt("role", s))
}

const USER_COLS: &str = "id, username, display_name, role, merchant_id, team_id, department_id, supervisor_id, \
     disabled, locked_until, totp_enabled, created_at, updated_at";

fn user_row(r: &DbRow) -> Result<User> {
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role: role_of(&role)?,
        merchant_id: r.try_get("merchant_id")?,
        team_id: r.try_get("team_id")?,
        department_id: r.try_get("department_id")?,
        supervisor_id: r.try_get("supervisor_id")?,
        disabled: r.try_get("disabled")?,
        locked_until: ms(r.try_get("locked_until")?),
        totp_enabled: r.try_get("totp_enabled")?,
        created_at: Millis(r.try_get("created_at")?),
        updated_at: Millis(r.try_get("updated_at")?),
    })
}

const AUTH_COLS: &str = "u.id, u.username, u.role, u.merchant_id, u.password_hash, u.disabled, \
     u.failed_logins, u.locked_until, u.totp_secret, u.totp_enabled";

fn auth_row(r: &DbRow) -> Result<UserAuth> {
    let role: String = r.try_get("role")?;
    Ok(UserAuth {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        role: role_of(&role)?,
        merchant_id: r.try_get("merchant_id")?,
        password_hash: r.try_get("password_hash")?,
        disabled: r.try_get("disabled")?,
        failed_logins: r.try_get("failed_logins")?,
        locked_until: ms(r.try_get("locked_until")?),
        totp_secret: r.try_get("totp_secret")?,
        totp_enabled: r.try_get("totp_enabled")?,
    })
}

const TOKEN_COLS: &str =
    "id, name, user_id, role, merchant_id, created_at, expires_at, last_used_at, revoked_at";

fn token_row(r: &DbRow) -> Result<ApiToken> {
    let role: String = r.try_get("role")?;
    Ok(ApiToken {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        user_id: r.try_get("user_id")?,
        role: role_of(&role)?,
        merchant_id: r.try_get("merchant_id")?,
        created_at: Millis(r.try_get("created_at")?),
        expires_at: ms(r.try_get("expires_at")?),
        last_used_at: ms(r.try_get("last_used_at")?),
        revoked_at: ms(r.try_get("revoked_at")?),
    })
}

const CUSTOMER_COLS: &str = "id, merchant_id, display_name, member_tier, vip, created_at, name_enc, phone_enc, email_enc, \
     address_enc, account_id, visitor_id, tags, notes, merged_into";

/// Encrypted personal data of a customer row, as stored.
struct StoredPii {
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    address: Option<String>,
}

fn pii_of(r: &DbRow) -> Result<StoredPii> {
    Ok(StoredPii { name: r.try_get("name_enc")?, phone: r.try_get("phone_enc")?, email: r.try_get("email_enc")?, address: r.try_get("address_enc")? })
}

fn customer_row(r: &DbRow, cipher: &crate::crypto::PiiCipher) -> Result<Customer> {
    use kefu_core::pii::{mask_address, mask_email, mask_phone};
    let pii = pii_of(r)?;
    let open = |ctx: &str, v: &Option<String>| -> Result<Option<String>> {
        v.as_deref().map(|c| cipher.decrypt_for(ctx, c).map_err(|e| StoreError::Other(format!("cannot decrypt {ctx}: {e}")))).transpose()
    };
    let name = open("customer.name", &pii.name)?;
    let tags: String = r.try_get("tags")?;
    Ok(Customer {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        display_name: match name {
            Some(n) => n,
            None => r.try_get("display_name")?,
        },
        phone: open("customer.phone", &pii.phone)?.map(|v| mask_phone(&v)),
        email: open("customer.email", &pii.email)?.map(|v| mask_email(&v)),
        address: open("customer.address", &pii.address)?.map(|v| mask_address(&v)),
        account_id: r.try_get("account_id")?,
        visitor_id: r.try_get("visitor_id")?,
        member_tier: r.try_get("member_tier")?,
        vip: r.try_get("vip")?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        notes: r.try_get("notes")?,
        merged_into: r.try_get("merged_into")?,
        created_at: Millis(r.try_get("created_at")?),
    })
}

const AUDIT_COLS: &str = "id, chain, seq, at, actor_id, actor_name, ip, request_id, action, object_type, \
     object_id, merchant_id, before_json, after_json, prev_hash, hash";

fn audit_row(r: &DbRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        id: r.try_get("id")?,
        chain: r.try_get("chain")?,
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor_id: r.try_get("actor_id")?,
        actor_name: r.try_get("actor_name")?,
        ip: r.try_get("ip")?,
        request_id: r.try_get("request_id")?,
        action: r.try_get("action")?,
        object_type: r.try_get("object_type")?,
        object_id: r.try_get("object_id")?,
        merchant_id: r.try_get("merchant_id")?,
        before: r.try_get("before_json")?,
        after: r.try_get("after_json")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// Append one audit record to its chain inside the caller's transaction: the chain head row is locked
/// (PostgreSQL) or the single writer holds the database (SQLite), so sequence numbers never collide.
async fn append_audit_in(tx: &mut Tx<'_>, at: Millis, e: AuditEntry) -> Result<()> {
    let chain = chain_for(e.merchant_id);
    sqlx::query(
        "INSERT INTO audit_chain_heads (chain, last_seq, last_hash) VALUES ($1, 0, $2) ON CONFLICT (chain) DO NOTHING",
    )
    .bind(&chain)
    .bind(GENESIS)
    .execute(&mut **tx)
    .await?;
    let head = sqlx::query(&format!(
        "SELECT last_seq, last_hash FROM audit_chain_heads WHERE chain = $1{FOR_UPDATE}"
    ))
    .bind(&chain)
    .fetch_one(&mut **tx)
    .await?;
    let last_seq: i64 = head.try_get("last_seq")?;
    let prev: String = head.try_get("last_hash")?;
    let seq = last_seq + 1;
    let hash = record_hash(&chain, seq, at, &e, &prev);
    sqlx::query(
        "INSERT INTO audit_log (chain, seq, at, actor_id, actor_name, ip, request_id, action, object_type, \
         object_id, merchant_id, before_json, after_json, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&chain)
    .bind(seq)
    .bind(at.0)
    .bind(e.actor_id)
    .bind(&e.actor_name)
    .bind(&e.ip)
    .bind(&e.request_id)
    .bind(&e.action)
    .bind(&e.object_type)
    .bind(&e.object_id)
    .bind(e.merchant_id)
    .bind(&e.before)
    .bind(&e.after)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_chain_heads SET last_seq = $1, last_hash = $2 WHERE chain = $3")
        .bind(seq)
        .bind(&hash)
        .bind(&chain)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The merchant that owns a referenced row, or a validation error naming the field if there is none the
/// scope may see.
async fn owner_of(tx: &mut Tx<'_>, s: &Scope, table: &str, field: &str, id: i64) -> Result<Option<i64>> {
    let row = sqlx::query(&format!("SELECT merchant_id FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        Some(r) => {
            let owner: Option<i64> = r.try_get("merchant_id")?;
            if s.sees(owner) || table == "departments" && owner.is_none() {
                Ok(owner)
            } else {
                Err(DomainError::validation(field, format!("{field} {id} does not exist")).into())
            }
        }
        None => Err(DomainError::validation(field, format!("{field} {id} does not exist")).into()),
    }
}

/// Team, department and supervisor of an account must belong to the account's own merchant
/// (departments may also be the platform's).
async fn check_user_links(
    tx: &mut Tx<'_>,
    s: &Scope,
    merchant: Option<i64>,
    team: Option<i64>,
    department: Option<i64>,
    supervisor: Option<i64>,
) -> Result<()> {
    if let Some(t) = team {
        if owner_of(tx, s, "teams", "team_id", t).await? != merchant {
            return Err(DomainError::validation("team_id", format!("team {t} belongs to another merchant")).into());
        }
    }
    if let Some(d) = department {
        let owner = owner_of(tx, s, "departments", "department_id", d).await?;
        if owner.is_some() && owner != merchant {
            return Err(DomainError::validation(
                "department_id",
                format!("department {d} belongs to another merchant"),
            )
            .into());
        }
    }
    if let Some(u) = supervisor {
        if owner_of(tx, s, "users", "supervisor_id", u).await? != merchant {
            return Err(
                DomainError::validation("supervisor_id", format!("user {u} belongs to another merchant")).into()
            );
        }
    }
    Ok(())
}

/// The customer as the audit trail records it: with the name masked too, so the trail is no copy of
/// personal data.
fn masked(c: &Customer) -> Customer {
    Customer { display_name: kefu_core::pii::mask_name(&c.display_name), ..c.clone() }
}

/// Lock row `id` of `table` (a table with `id` and `merchant_id`) for the rest of the transaction; not
/// found (naming `what`) when it does not exist or lies outside the caller's scope.
async fn lock_scoped_in(tx: &mut Tx<'_>, s: &Scope, table: &str, id: i64, what: &str) -> Result<()> {
    let locked = sqlx::query(&format!(
        "SELECT id FROM {table} WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2){FOR_UPDATE}"
    ))
    .bind(id)
    .bind(s.merchant_filter())
    .fetch_optional(&mut **tx)
    .await?;
    match locked {
        Some(_) => Ok(()),
        None => Err(DomainError::not_found(what).into()),
    }
}

/// The optimistic-concurrency check of a command: `expected` (if given) must be the record's `version`;
/// the refusal names where the record is now (`at`, e.g. its stage).
fn check_version(what: &str, version: i64, at: &str, expected: Option<i64>) -> Result<()> {
    match expected {
        Some(v) if v != version => Err(DomainError::conflict(
            Some("expected_version"),
            format!(
                "the {what} was changed meanwhile: it is at version {version} ({at}), the request expected version {v}; reload it and try again"
            ),
        )
        .into()),
        _ => Ok(()),
    }
}

fn enc(cipher: &crate::crypto::PiiCipher, context: &str, value: &str) -> Result<String> {
    cipher.encrypt_for(context, value).map_err(|e| StoreError::Other(format!("cannot encrypt {context}: {e}")))
}

/// The encryption context of a user's TOTP seed (二次验证密钥): whoever reads it can pass the second factor.
const TOTP_SECRET: &str = "users.totp_secret";
/// The encryption context of the chat widget's signing secret: whoever reads it can sign in as any buyer.
const CHAT_SECRET: &str = "chat_settings.secret";

/// Every encrypted column: table, key column, column, encryption context, and whether rows written before
/// the column was encrypted may still hold the plain value (sealed by [`Store::seal_plain_secrets`]).
/// `kefu keys rotate` walks them all; a column encrypted later is added here.
const SEALED_COLUMNS: &[(&str, &str, &str, &str, bool)] = &[
    ("customers", "id", "name_enc", "customer.name", false),
    ("customers", "id", "phone_enc", "customer.phone", false),
    ("customers", "id", "email_enc", "customer.email", false),
    ("customers", "id", "address_enc", "customer.address", false),
    ("email_mailboxes", "id", "smtp_password_enc", SMTP_PASSWORD_CONTEXT, false),
    ("email_messages", "id", "peer_enc", PEER_CONTEXT, false),
    ("webhook_subscriptions", "id", "secret", WEBHOOK_SECRET, false),
    ("shop_integrations", "merchant_id", "secret", SHOP_SECRET, false),
    ("users", "id", "totp_secret", TOTP_SECRET, true),
    ("chat_settings", "id", "secret", CHAT_SECRET, true),
];

/// Ciphertexts and blind indexes of the contact fields given (empty string: clear it).
#[derive(Default)]
struct SealedContact {
    phone: Option<String>,
    phone_bidx: Option<String>,
    email: Option<String>,
    email_bidx: Option<String>,
    address: Option<String>,
}

fn seal_contact(cipher: &crate::crypto::PiiCipher, c: &Contact) -> Result<SealedContact> {
    let mut out = SealedContact::default();
    if let Some(p) = c.phone.as_deref().filter(|v| !v.trim().is_empty()) {
        let n = kefu_core::pii::normalize_phone(p)?;
        out.phone = Some(enc(cipher, "customer.phone", &n)?);
        out.phone_bidx = Some(cipher.blind_index("customer.phone", &n));
    }
    if let Some(e) = c.email.as_deref().filter(|v| !v.trim().is_empty()) {
        let n = kefu_core::pii::normalize_email(e)?;
        out.email = Some(enc(cipher, "customer.email", &n)?);
        out.email_bidx = Some(cipher.blind_index("customer.email", &n));
    }
    if let Some(a) = c.address.as_deref().filter(|v| !v.trim().is_empty()) {
        out.address = Some(enc(cipher, "customer.address", a.trim())?);
    }
    Ok(out)
}

impl StoreImpl {
    /// A secret read back (`SEALED_COLUMNS` with plain values allowed): decrypted, or as it is when the
    /// row was written before the column was encrypted.
    fn open_secret(&self, context: &str, stored: String) -> Result<String> {
        if !crate::crypto::PiiCipher::is_sealed(&stored) {
            return Ok(stored);
        }
        self.cipher()?
            .decrypt_for(context, &stored)
            .map_err(|e| StoreError::Other(format!("cannot decrypt {context}: {e}")))
    }

    fn open_auth(&self, row: Option<&DbRow>) -> Result<Option<UserAuth>> {
        let Some(r) = row else { return Ok(None) };
        let mut u = auth_row(r)?;
        u.totp_secret = u.totp_secret.map(|s| self.open_secret(TOTP_SECRET, s)).transpose()?;
        Ok(Some(u))
    }

    /// Bring the encrypted columns under the active key, in small batches so kefu keeps serving:
    /// values under an older key are re-encrypted (unless `plain_only`), plain values where the column
    /// allows them are encrypted. A value changed meanwhile is left to its writer. Returns the count.
    async fn reseal(&self, plain_only: bool) -> Result<u64> {
        let cipher = self.cipher()?;
        let mut count = 0u64;
        for &(table, key, col, context, plain_ok) in SEALED_COLUMNS {
            if plain_only && !plain_ok {
                continue;
            }
            let mut after = i64::MIN;
            loop {
                let rows = sqlx::query(&format!(
                    "SELECT {key} AS k, {col} AS v FROM {table} WHERE {key} > $1 AND {col} IS NOT NULL ORDER BY {key} LIMIT 500"
                ))
                .bind(after)
                .fetch_all(&self.reader)
                .await?;
                let Some(last) = rows.last() else { break };
                after = last.try_get("k")?;
                let mut changes = Vec::new();
                for r in &rows {
                    let (k, v): (i64, String) = (r.try_get("k")?, r.try_get("v")?);
                    let new = if !crate::crypto::PiiCipher::is_sealed(&v) {
                        // Malformed text in an always-encrypted column is left as it is: nothing could read it.
                        if !plain_ok {
                            continue;
                        }
                        enc(&cipher, context, &v)?
                    } else if !plain_only && cipher.needs_reencryption(&v) {
                        cipher
                            .reencrypt(context, &v)
                            .map_err(|e| StoreError::Other(format!("re-encrypting {table}.{col} of {key} {k}: {e}")))?
                    } else {
                        continue;
                    };
                    changes.push((k, v, new));
                }
                if changes.is_empty() {
                    continue;
                }
                let mut tx = self.writer.begin().await?;
                for (k, old, new) in &changes {
                    let done = sqlx::query(&format!("UPDATE {table} SET {col} = $1 WHERE {key} = $2 AND {col} = $3"))
                        .bind(new)
                        .bind(k)
                        .bind(old)
                        .execute(&mut *tx)
                        .await?;
                    count += done.rows_affected();
                }
                tx.commit().await?;
            }
        }
        Ok(count)
    }

    fn cipher(&self) -> Result<std::sync::Arc<crate::crypto::PiiCipher>> {
        self.cipher
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| StoreError::Other("no personal-data key is loaded; customers cannot be read or written".into()))
    }

    async fn user_in(&self, tx: &mut Tx<'_>, s: &Scope, id: i64) -> Result<User> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)"
        ))
        .bind(id)
        .bind(s.merchant_filter())
        .fetch_optional(&mut **tx)
        .await?;
        match row {
            Some(r) => user_row(&r),
            None => Err(DomainError::not_found("user").into()),
        }
    }

    async fn merchant_in(&self, tx: &mut Tx<'_>, s: &Scope, id: i64) -> Result<Merchant> {
        let row = sqlx::query("SELECT * FROM merchants WHERE id = $1 AND ($2 IS NULL OR id = $2)")
            .bind(id)
            .bind(s.merchant_filter())
            .fetch_optional(&mut **tx)
            .await?;
        match row {
            Some(r) => merchant_row(&r),
            None => Err(DomainError::not_found("merchant").into()),
        }
    }
}

#[async_trait]
impl Store for StoreImpl {
    fn backend(&self) -> Backend {
        BACKEND
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn create_merchant(&self, s: &Scope, ctx: &AuditCtx, new: NewMerchant) -> Result<Merchant> {
        if s.merchant_filter().is_some() {
            return Err(DomainError::forbidden("only platform staff create merchants").into());
        }
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(
            "INSERT INTO merchants (code, name, status, created_at, updated_at) VALUES ($1, $2, 'active', $3, $3) RETURNING *",
        )
        .bind(&new.code)
        .bind(&new.name)
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_as_conflict(e, "code", &format!("a merchant with code '{}' exists", new.code)))?;
        let m = merchant_row(&row)?;
        let e = ctx.entry("merchant.create", "merchant", Some(m.id.to_string()), Some(m.id), None, to_json(&m));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(m)
    }

    async fn get_merchant(&self, s: &Scope, id: i64) -> Result<Option<Merchant>> {
        let row = sqlx::query("SELECT * FROM merchants WHERE id = $1 AND ($2 IS NULL OR id = $2)")
            .bind(id)
            .bind(s.merchant_filter())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(merchant_row).transpose()
    }

    async fn list_merchants(&self, s: &Scope, page: PageReq) -> Result<Page<Merchant>> {
        let rows = sqlx::query(
            "SELECT * FROM merchants WHERE ($1 IS NULL OR id = $1) AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(s.merchant_filter())
        .bind(page.after.unwrap_or(0))
        .bind(page.limit + 1)
        .fetch_all(&self.reader)
        .await?;
        let items = rows.iter().map(merchant_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |m| m.id))
    }

    async fn update_merchant(&self, s: &Scope, ctx: &AuditCtx, id: i64, patch: MerchantPatch) -> Result<Merchant> {
        let mut tx = self.writer.begin().await?;
        let before = self.merchant_in(&mut tx, s, id).await?;
        let row = sqlx::query("UPDATE merchants SET name = $1, status = $2, updated_at = $3 WHERE id = $4 RETURNING *")
            .bind(patch.name.as_ref().unwrap_or(&before.name))
            .bind(patch.status.as_ref().unwrap_or(&before.status))
            .bind(ctx.now.0)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let after = merchant_row(&row)?;
        let e = ctx.entry("merchant.update", "merchant", Some(id.to_string()), Some(id), to_json(&before), to_json(&after));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn create_department(&self, s: &Scope, ctx: &AuditCtx, new: NewDepartment) -> Result<Department> {
        let merchant = s.owner_for_new(new.merchant_id)?;
        let mut tx = self.writer.begin().await?;
        if let Some(m) = merchant {
            self.merchant_in(&mut tx, s, m).await?;
        }
        let row = sqlx::query(
            "INSERT INTO departments (merchant_id, code, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING *",
        )
        .bind(merchant)
        .bind(&new.code)
        .bind(&new.name)
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_as_conflict(e, "code", &format!("a department with code '{}' exists", new.code)))?;
        let d = department_row(&row)?;
        let e = ctx.entry("department.create", "department", Some(d.id.to_string()), merchant, None, to_json(&d));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(d)
    }

    async fn list_departments(&self, s: &Scope, page: PageReq) -> Result<Page<Department>> {
        let rows = sqlx::query(
            "SELECT * FROM departments WHERE ($1 IS NULL OR merchant_id IS NULL OR merchant_id = $1) \
             AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(s.merchant_filter())
        .bind(page.after.unwrap_or(0))
        .bind(page.limit + 1)
        .fetch_all(&self.reader)
        .await?;
        let items = rows.iter().map(department_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |d| d.id))
    }

    async fn create_team(&self, s: &Scope, ctx: &AuditCtx, new: NewTeam) -> Result<Team> {
        let merchant = s.owner_for_new(new.merchant_id)?;
        if new.owner == TeamOwner::Merchant && merchant.is_none() {
            return Err(DomainError::validation("merchant_id", "a merchant team needs a merchant_id").into());
        }
        if new.owner == TeamOwner::Platform && merchant.is_some() {
            return Err(DomainError::validation("owner", "a merchant's team cannot be a platform team").into());
        }
        if new.owner == TeamOwner::Outsourced && new.vendor.as_deref().unwrap_or("").is_empty() {
            return Err(DomainError::validation("vendor", "an outsourced team needs its vendor's name").into());
        }
        let mut tx = self.writer.begin().await?;
        if let Some(m) = merchant {
            self.merchant_in(&mut tx, s, m).await?;
        }
        let row = sqlx::query(
            "INSERT INTO teams (merchant_id, owner, vendor, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING *",
        )
        .bind(merchant)
        .bind(new.owner.as_str())
        .bind(&new.vendor)
        .bind(&new.name)
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_as_conflict(e, "name", &format!("a team named '{}' exists", new.name)))?;
        let t = team_row(&row)?;
        let e = ctx.entry("team.create", "team", Some(t.id.to_string()), merchant, None, to_json(&t));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(t)
    }

    async fn get_team(&self, s: &Scope, id: i64) -> Result<Option<Team>> {
        let row = sqlx::query("SELECT * FROM teams WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)")
            .bind(id)
            .bind(s.merchant_filter())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(team_row).transpose()
    }

    async fn list_teams(&self, s: &Scope, page: PageReq) -> Result<Page<Team>> {
        let rows = sqlx::query(
            "SELECT * FROM teams WHERE ($1 IS NULL OR merchant_id = $1) AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(s.merchant_filter())
        .bind(page.after.unwrap_or(0))
        .bind(page.limit + 1)
        .fetch_all(&self.reader)
        .await?;
        let items = rows.iter().map(team_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |t| t.id))
    }

    async fn create_user(&self, s: &Scope, ctx: &AuditCtx, new: NewUser) -> Result<User> {
        let merchant = s.owner_for_new(new.merchant_id)?;
        s.may_grant(new.role, merchant)?;
        let mut tx = self.writer.begin().await?;
        if let Some(m) = merchant {
            self.merchant_in(&mut tx, s, m).await?;
        }
        check_user_links(&mut tx, s, merchant, new.team_id, new.department_id, new.supervisor_id).await?;
        let row = sqlx::query(&format!(
            "INSERT INTO users (username, display_name, role, merchant_id, team_id, department_id, supervisor_id, \
             password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {USER_COLS}"
        ))
        .bind(&new.username)
        .bind(&new.display_name)
        .bind(new.role.as_str())
        .bind(merchant)
        .bind(new.team_id)
        .bind(new.department_id)
        .bind(new.supervisor_id)
        .bind(&new.password_hash)
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_as_conflict(e, "username", &format!("username '{}' is taken", new.username)))?;
        let u = user_row(&row)?;
        let e = ctx.entry("user.create", "user", Some(u.id.to_string()), merchant, None, to_json(&u));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(u)
    }

    async fn get_user(&self, s: &Scope, id: i64) -> Result<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)"
        ))
        .bind(id)
        .bind(s.merchant_filter())
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(user_row).transpose()
    }

    async fn list_users(&self, s: &Scope, page: PageReq) -> Result<Page<User>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users WHERE ($1 IS NULL OR merchant_id = $1) AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(s.merchant_filter())
        .bind(page.after.unwrap_or(0))
        .bind(page.limit + 1)
        .fetch_all(&self.reader)
        .await?;
        let items = rows.iter().map(user_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |u| u.id))
    }

    async fn update_user(&self, s: &Scope, ctx: &AuditCtx, id: i64, patch: UserPatch) -> Result<User> {
        let mut tx = self.writer.begin().await?;
        let before = self.user_in(&mut tx, s, id).await?;
        let role = patch.role.unwrap_or(before.role);
        s.may_grant(role, before.merchant_id)?;
        let team = patch.team_id.unwrap_or(before.team_id);
        let department = patch.department_id.unwrap_or(before.department_id);
        let supervisor = patch.supervisor_id.unwrap_or(before.supervisor_id);
        if supervisor == Some(id) {
            return Err(DomainError::validation("supervisor_id", "a user cannot supervise themselves").into());
        }
        check_user_links(&mut tx, s, before.merchant_id, team, department, supervisor).await?;
        let row = sqlx::query(&format!(
            "UPDATE users SET display_name = $1, role = $2, team_id = $3, department_id = $4, supervisor_id = $5, \
             disabled = $6, updated_at = $7 WHERE id = $8 RETURNING {USER_COLS}"
        ))
        .bind(patch.display_name.as_ref().unwrap_or(&before.display_name))
        .bind(role.as_str())
        .bind(team)
        .bind(department)
        .bind(supervisor)
        .bind(patch.disabled.unwrap_or(before.disabled))
        .bind(ctx.now.0)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let after = user_row(&row)?;
        if after.disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        }
        let e = ctx.entry("user.update", "user", Some(id.to_string()), before.merchant_id, to_json(&before), to_json(&after));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn set_password(&self, s: &Scope, ctx: &AuditCtx, id: i64, password_hash: String) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let u = self.user_in(&mut tx, s, id).await?;
        sqlx::query("UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $3")
            .bind(&password_hash)
            .bind(ctx.now.0)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // A new password ends every existing session of the account.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        let e = ctx.entry("user.password_set", "user", Some(id.to_string()), u.merchant_id, None, None);
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn unlock_user(&self, s: &Scope, ctx: &AuditCtx, id: i64) -> Result<User> {
        let mut tx = self.writer.begin().await?;
        let before = self.user_in(&mut tx, s, id).await?;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = $1 WHERE id = $2")
            .bind(ctx.now.0)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let after = self.user_in(&mut tx, s, id).await?;
        let e = ctx.entry("user.unlock", "user", Some(id.to_string()), before.merchant_id, to_json(&before), to_json(&after));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn set_totp(&self, s: &Scope, ctx: &AuditCtx, id: i64, secret: Option<String>, enabled: bool) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let u = self.user_in(&mut tx, s, id).await?;
        let sealed = match &secret {
            Some(v) => Some(enc(&*self.cipher()?, TOTP_SECRET, v)?),
            None => None,
        };
        sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled = $2, updated_at = $3 WHERE id = $4")
            .bind(&sealed)
            .bind(enabled && secret.is_some())
            .bind(ctx.now.0)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let action = match (&secret, enabled) {
            (None, _) => "user.totp_disabled",
            (Some(_), false) => "user.totp_enrolment_started",
            (Some(_), true) => "user.totp_enabled",
        };
        let e = ctx.entry(action, "user", Some(id.to_string()), u.merchant_id, None, None);
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn auth_user_by_username(&self, username: &str) -> Result<Option<UserAuth>> {
        let row = sqlx::query(&format!("SELECT {AUTH_COLS} FROM users u WHERE u.username = $1"))
            .bind(username)
            .fetch_optional(&self.reader)
            .await?;
        self.open_auth(row.as_ref())
    }

    async fn auth_user_by_id(&self, id: i64) -> Result<Option<UserAuth>> {
        let row = sqlx::query(&format!("SELECT {AUTH_COLS} FROM users u WHERE u.id = $1"))
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        self.open_auth(row.as_ref())
    }

    async fn record_login_failure(&self, ctx: &AuditCtx, user: &UserAuth, state: FailureRecord) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
            .bind(state.failed_logins)
            .bind(state.locked_until.map(|m| m.0))
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        let action = if state.locked_until.is_some() { "auth.account_locked" } else { "auth.login_failed" };
        let after = serde_json::json!({"failed_logins": state.failed_logins, "locked_until": state.locked_until});
        let e = ctx.entry(action, "user", Some(user.id.to_string()), user.merchant_id, None, Some(after.to_string()));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_login_success(&self, ctx: &AuditCtx, user: &UserAuth) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        let e = ctx.entry("auth.login", "user", Some(user.id.to_string()), user.merchant_id, None, None);
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_unknown_login(&self, ctx: &AuditCtx, username: &str) -> Result<()> {
        let after = serde_json::json!({ "username": username });
        let e = ctx.entry("auth.login_failed", "user", None, None, None, Some(after.to_string()));
        self.append_audit(ctx.now, e).await
    }

    async fn create_session(
        &self,
        user_id: i64,
        token_hash: &str,
        now: Millis,
        expires: Millis,
        ip: Option<String>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, ip) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now.0)
            .bind(expires.0)
            .bind(ip)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now: Millis) -> Result<Option<UserAuth>> {
        let row = sqlx::query(&format!(
            "SELECT {AUTH_COLS} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        ))
        .bind(token_hash)
        .bind(now.0)
        .fetch_optional(&self.reader)
        .await?;
        self.open_auth(row.as_ref())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.writer).await?;
        Ok(())
    }

    async fn create_api_token(&self, s: &Scope, ctx: &AuditCtx, new: NewApiToken) -> Result<ApiToken> {
        let merchant = s.owner_for_new(new.merchant_id)?;
        s.may_grant(new.role, merchant)?;
        let mut tx = self.writer.begin().await?;
        if let Some(m) = merchant {
            self.merchant_in(&mut tx, s, m).await?;
        }
        let row = sqlx::query(&format!(
            "INSERT INTO api_tokens (token_hash, name, user_id, role, merchant_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {TOKEN_COLS}"
        ))
        .bind(&new.token_hash)
        .bind(&new.name)
        .bind(new.user_id)
        .bind(new.role.as_str())
        .bind(merchant)
        .bind(ctx.now.0)
        .bind(new.expires_at.map(|m| m.0))
        .fetch_one(&mut *tx)
        .await?;
        let t = token_row(&row)?;
        let e = ctx.entry("api_token.create", "api_token", Some(t.id.to_string()), merchant, None, to_json(&t));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(t)
    }

    async fn list_api_tokens(&self, s: &Scope, page: PageReq) -> Result<Page<ApiToken>> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE ($1 IS NULL OR merchant_id = $1) AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(s.merchant_filter())
        .bind(page.after.unwrap_or(0))
        .bind(page.limit + 1)
        .fetch_all(&self.reader)
        .await?;
        let items = rows.iter().map(token_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |t| t.id))
    }

    async fn revoke_api_token(&self, s: &Scope, ctx: &AuditCtx, id: i64) -> Result<ApiToken> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)"
        ))
        .bind(id)
        .bind(s.merchant_filter())
        .fetch_optional(&mut *tx)
        .await?;
        let before = match row {
            Some(r) => token_row(&r)?,
            None => return Err(DomainError::not_found("api token").into()),
        };
        let row = sqlx::query(&format!(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING {TOKEN_COLS}"
        ))
        .bind(ctx.now.0)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let after = token_row(&row)?;
        let e = ctx.entry("api_token.revoke", "api_token", Some(id.to_string()), before.merchant_id, to_json(&before), to_json(&after));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn api_token_principal(&self, token_hash: &str, now: Millis) -> Result<Option<(ApiToken, UserAuth)>> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $2)"
        ))
        .bind(token_hash)
        .bind(now.0)
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let token = token_row(&row)?;
        let Some(user) = self.auth_user_by_id(token.user_id).await? else { return Ok(None) };
        // Record use at most once a minute per token, so busy integrations do not write on every call.
        if token.last_used_at.is_none_or(|t| now.0 - t.0 > Millis::MINUTE) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now.0)
                .bind(token.id)
                .execute(&self.writer)
                .await?;
        }
        Ok(Some((token, user)))
    }

    fn set_cipher(&self, cipher: std::sync::Arc<crate::crypto::PiiCipher>) {
        *self.cipher.write().unwrap_or_else(|p| p.into_inner()) = Some(cipher);
    }

    async fn create_customer(&self, s: &Scope, ctx: &AuditCtx, new: NewCustomer) -> Result<Customer> {
        let cipher = self.cipher()?;
        let merchant = s.owner_for_new(new.merchant_id)?;
        let sealed = seal_contact(&cipher, &new.contact)?;
        let name_enc = enc(&cipher, "customer.name", &new.display_name)?;
        let mut tx = self.writer.begin().await?;
        if let Some(m) = merchant {
            self.merchant_in(&mut tx, s, m).await?;
        }
        let row = sqlx::query(&format!(
            "INSERT INTO customers (merchant_id, display_name, member_tier, vip, created_at, updated_at, name_enc, phone_enc, email_enc, \
             address_enc, phone_bidx, email_bidx, account_id, visitor_id, tags, notes) \
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING {CUSTOMER_COLS}"
        ))
        .bind(merchant)
        .bind(kefu_core::pii::mask_name(&new.display_name))
        .bind(&new.member_tier)
        .bind(new.vip)
        .bind(ctx.now.0)
        .bind(name_enc)
        .bind(&sealed.phone)
        .bind(&sealed.email)
        .bind(&sealed.address)
        .bind(&sealed.phone_bidx)
        .bind(&sealed.email_bidx)
        .bind(&new.account_id)
        .bind(&new.visitor_id)
        .bind(serde_json::to_string(&new.tags).unwrap_or_else(|_| "[]".into()))
        .bind(&new.notes)
        .fetch_one(&mut *tx)
        .await?;
        let c = customer_row(&row, &cipher)?;
        // The audit record holds the masked view only: the trail must not become a copy of personal data.
        let e = ctx.entry("customer.create", "customer", Some(c.id.to_string()), merchant, None, to_json(&masked(&c)));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(c)
    }

    async fn get_customer(&self, s: &Scope, id: i64) -> Result<Option<Customer>> {
        let cipher = self.cipher()?;
        let row = sqlx::query(&format!("SELECT {CUSTOMER_COLS} FROM customers WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)"))
            .bind(id)
            .bind(s.merchant_filter())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(|r| customer_row(r, &cipher)).transpose()
    }

    async fn list_customers(&self, s: &Scope, lookup: &CustomerLookup, page: PageReq) -> Result<Page<Customer>> {
        let cipher = self.cipher()?;
        let phone = lookup.phone.as_deref().map(|p| cipher.blind_index("customer.phone", p));
        let email = lookup.email.as_deref().map(|e| cipher.blind_index("customer.email", e));
        let rows = sqlx::query(&format!(
            "SELECT {CUSTOMER_COLS} FROM customers WHERE ($1 IS NULL OR merchant_id = $1) AND ($2 IS NULL OR phone_bidx = $2) \
             AND ($3 IS NULL OR email_bidx = $3) AND ($4 IS NULL OR account_id = $4) AND ($5 IS NULL OR visitor_id = $5) \
             AND id > $6 ORDER BY id LIMIT $7"
        ))
        .bind(s.merchant_filter())
        .bind(phone)
        .bind(email)
        .bind(&lookup.account_id)
        .bind(&lookup.visitor_id)
        .bind(page.after.unwrap_or(0))
        .bind(page.limit + 1)
        .fetch_all(&self.reader)
        .await?;
        let items = rows.iter().map(|r| customer_row(r, &cipher)).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |c| c.id))
    }

    async fn update_customer(&self, s: &Scope, ctx: &AuditCtx, id: i64, p: CustomerPatch) -> Result<Customer> {
        let cipher = self.cipher()?;
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(&format!("SELECT {CUSTOMER_COLS}, phone_bidx, email_bidx FROM customers WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)"))
            .bind(id)
            .bind(s.merchant_filter())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Err(DomainError::not_found("customer").into()) };
        let before = customer_row(&row, &cipher)?;
        let old = pii_of(&row)?;
        let sealed = seal_contact(&cipher, &p.contact)?;
        let pick = |new: Option<String>, given: bool, old: Option<String>| if given { new } else { old };
        let name_enc = match &p.display_name {
            Some(n) => Some(enc(&cipher, "customer.name", n)?),
            None => old.name.clone(),
        };
        let old_phone_bidx: Option<String> = row.try_get("phone_bidx")?;
        let old_email_bidx: Option<String> = row.try_get("email_bidx")?;
        let r = sqlx::query(&format!(
            "UPDATE customers SET display_name = $1, member_tier = $2, vip = $3, name_enc = $4, phone_enc = $5, phone_bidx = $6, \
             email_enc = $7, email_bidx = $8, address_enc = $9, account_id = $10, visitor_id = $11, tags = $12, notes = $13, updated_at = $14 \
             WHERE id = $15 RETURNING {CUSTOMER_COLS}"
        ))
        .bind(p.display_name.as_deref().map(kefu_core::pii::mask_name).unwrap_or_else(|| kefu_core::pii::mask_name(&before.display_name)))
        .bind(p.member_tier.as_ref().unwrap_or(&before.member_tier))
        .bind(p.vip.unwrap_or(before.vip))
        .bind(name_enc)
        .bind(pick(sealed.phone.clone(), p.contact.phone.is_some(), old.phone.clone()))
        .bind(pick(sealed.phone_bidx.clone(), p.contact.phone.is_some(), old_phone_bidx))
        .bind(pick(sealed.email.clone(), p.contact.email.is_some(), old.email.clone()))
        .bind(pick(sealed.email_bidx.clone(), p.contact.email.is_some(), old_email_bidx))
        .bind(pick(sealed.address.clone(), p.contact.address.is_some(), old.address.clone()))
        .bind(p.account_id.clone().or(before.account_id.clone()).filter(|v| !v.is_empty()))
        .bind(p.visitor_id.clone().or(before.visitor_id.clone()).filter(|v| !v.is_empty()))
        .bind(serde_json::to_string(p.tags.as_ref().unwrap_or(&before.tags)).unwrap_or_else(|_| "[]".into()))
        .bind(p.notes.as_ref().unwrap_or(&before.notes))
        .bind(ctx.now.0)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let after = customer_row(&r, &cipher)?;
        let e = ctx.entry("customer.update", "customer", Some(id.to_string()), before.merchant_id, to_json(&masked(&before)), to_json(&masked(&after)));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn reveal_customer(&self, s: &Scope, ctx: &AuditCtx, id: i64, field: &str, reason: &str) -> Result<Option<String>> {
        let cipher = self.cipher()?;
        let column = match field {
            "phone" => "phone_enc",
            "email" => "email_enc",
            "address" => "address_enc",
            other => return Err(DomainError::validation("field", format!("'{other}' cannot be revealed; use phone, email or address")).into()),
        };
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(&format!("SELECT merchant_id, {column} AS v FROM customers WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)"))
            .bind(id)
            .bind(s.merchant_filter())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Err(DomainError::not_found("customer").into()) };
        let merchant: Option<i64> = row.try_get("merchant_id")?;
        let stored: Option<String> = row.try_get("v")?;
        let value = stored
            .as_deref()
            .map(|c| cipher.decrypt_for(&format!("customer.{field}"), c).map_err(|e| StoreError::Other(format!("cannot decrypt: {e}"))))
            .transpose()?;
        let after = serde_json::json!({ "field": field, "reason": reason });
        let e = ctx.entry("customer.reveal", "customer", Some(id.to_string()), merchant, None, Some(after.to_string()));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(value)
    }

    async fn merge_customers(&self, s: &Scope, ctx: &AuditCtx, source: i64, target: i64) -> Result<Customer> {
        let cipher = self.cipher()?;
        if source == target {
            return Err(DomainError::validation("into_customer_id", "a customer cannot be merged into itself").into());
        }
        let mut tx = self.writer.begin().await?;
        let q = format!("SELECT {CUSTOMER_COLS}, phone_bidx, email_bidx FROM customers WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)");
        let src = sqlx::query(&q).bind(source).bind(s.merchant_filter()).fetch_optional(&mut *tx).await?;
        let dst = sqlx::query(&q).bind(target).bind(s.merchant_filter()).fetch_optional(&mut *tx).await?;
        let (Some(src), Some(dst)) = (src, dst) else { return Err(DomainError::not_found("customer").into()) };
        let (a, b) = (customer_row(&src, &cipher)?, customer_row(&dst, &cipher)?);
        if a.merchant_id != b.merchant_id {
            return Err(DomainError::validation("into_customer_id", "customers of different merchants cannot be merged").into());
        }
        if a.merged_into.is_some() || b.merged_into.is_some() {
            return Err(DomainError::conflict(None, "one of the customers was already merged").into());
        }
        // The survivor keeps its own identities and gains the ones it lacks.
        for col in ["phone_enc", "phone_bidx", "email_enc", "email_bidx", "address_enc", "account_id", "visitor_id"] {
            sqlx::query(&format!("UPDATE customers SET {col} = COALESCE({col}, (SELECT {col} FROM customers WHERE id = $1)) WHERE id = $2"))
                .bind(source)
                .bind(target)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE customers SET merged_into = $1, updated_at = $2 WHERE id = $3").bind(target).bind(ctx.now.0).bind(source).execute(&mut *tx).await?;
        let moved = sqlx::query("UPDATE tickets SET customer_id = $1 WHERE customer_id = $2").bind(target).bind(source).execute(&mut *tx).await?.rows_affected();
        let after = serde_json::json!({ "merged": source, "into": target, "tickets_moved": moved });
        let e = ctx.entry("customer.merge", "customer", Some(target.to_string()), b.merchant_id, None, Some(after.to_string()));
        append_audit_in(&mut tx, ctx.now, e).await?;
        let row = sqlx::query(&format!("SELECT {CUSTOMER_COLS} FROM customers WHERE id = $1")).bind(target).fetch_one(&mut *tx).await?;
        let c = customer_row(&row, &cipher)?;
        tx.commit().await?;
        Ok(c)
    }

    async fn reencrypt_all(&self, ctx: &AuditCtx) -> Result<u64> {
        let count = self.reseal(false).await?;
        let active = self.cipher()?.active_key_id().to_string();
        let e = ctx.entry("keys.rotate", "keys", None, None, None, Some(serde_json::json!({ "values_reencrypted": count, "active_key": active }).to_string()));
        self.append_audit(ctx.now, e).await?;
        Ok(count)
    }

    async fn seal_plain_secrets(&self, ctx: &AuditCtx) -> Result<u64> {
        let count = self.reseal(true).await?;
        if count > 0 {
            let e = ctx.entry("keys.seal_secrets", "keys", None, None, None, Some(serde_json::json!({ "values_sealed": count }).to_string()));
            self.append_audit(ctx.now, e).await?;
        }
        Ok(count)
    }

    async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.reader)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("value")?),
            None => None,
        })
    }

    async fn put_setting(&self, s: &Scope, ctx: &AuditCtx, key: &str, value: &str) -> Result<()> {
        if s.merchant_filter().is_some() {
            return Err(DomainError::forbidden("platform settings belong to platform staff").into());
        }
        let mut tx = self.writer.begin().await?;
        let before: Option<String> = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("value"))
            .transpose()?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(ctx.now.0)
        .execute(&mut *tx)
        .await?;
        let e = ctx.entry("setting.update", "setting", Some(key.to_string()), None, before, Some(value.to_string()));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn append_audit(&self, at: Millis, entry: AuditEntry) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        append_audit_in(&mut tx, at, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_audit(&self, s: &Scope, f: AuditFilter, page: PageReq) -> Result<Page<AuditRecord>> {
        // Newest first: the cursor is the smallest id seen.
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_COLS} FROM audit_log WHERE ($1 IS NULL OR merchant_id = $1) \
             AND ($2 IS NULL OR actor_id = $2) AND ($3 IS NULL OR action = $3) \
             AND ($4 IS NULL OR object_type = $4) AND ($5 IS NULL OR object_id = $5) \
             AND ($6 IS NULL OR at >= $6) AND ($7 IS NULL OR at < $7) AND id < $8 \
             ORDER BY id DESC LIMIT $9"
        ))
        .bind(s.merchant_filter())
        .bind(f.actor_id)
        .bind(f.action)
        .bind(f.object_type)
        .bind(f.object_id)
        .bind(f.from.map(|m| m.0))
        .bind(f.to.map(|m| m.0))
        .bind(page.after.unwrap_or(i64::MAX))
        .bind(page.limit + 1)
        .fetch_all(&self.reader)
        .await?;
        let items = rows.iter().map(audit_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |r| r.id))
    }

    async fn audit_chain_heads(&self) -> Result<Vec<ChainHead>> {
        let rows = sqlx::query("SELECT chain, last_seq, last_hash FROM audit_chain_heads ORDER BY chain")
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ChainHead {
                    chain: r.try_get("chain")?,
                    last_seq: r.try_get("last_seq")?,
                    last_hash: r.try_get("last_hash")?,
                })
            })
            .collect()
    }

    async fn audit_chain_records(&self, chain: &str, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_COLS} FROM audit_log WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        ))
        .bind(chain)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(audit_row).collect()
    }

    async fn backup_to(&self, path: &std::path::Path) -> Result<()> {
        backup_impl(self, path).await
    }
}
