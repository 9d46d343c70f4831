//! The `kefu` binary as an operator uses it: configuration errors, accounts, audit verification,
//! backup while serving and restore, demo data, start-up and graceful shutdown.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn kefu(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kefu"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("KEFU_CONFIG")
        .output()
        .expect("run kefu")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Server(std::process::Child, String);

impl Server {
    fn start(data: &Path) -> Server {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_kefu"))
            .arg("--data-dir")
            .arg(data)
            .args(["serve", "--listen", &listen])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let base = format!("http://{listen}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(&listen).is_ok() {
                return Server(child, base);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("kefu did not start listening on {listen}");
    }

    fn stop(mut self) -> String {
        // SIGTERM, as a service manager would.
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let status = self.0.wait().unwrap();
        let mut log = String::new();
        if let Some(err) = self.0.stderr.take() {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                log.push_str(&line);
                log.push('\n');
            }
        }
        assert!(status.success(), "kefu exited with {status}: {log}");
        log
    }
}

#[test]
fn bad_configuration_stops_start_up_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["migrate"])
        .env("KEFU_LISTN", "127.0.0.1:1")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).contains("unknown setting KEFU_LISTN"), "{}", text(&o));

    let cfg = dir.path().join("kefu.toml");
    std::fs::write(&cfg, "listen = 8080\n").unwrap();
    let o =
        Command::new(env!("CARGO_BIN_EXE_kefu")).arg("--config").arg(&cfg).arg("migrate").output().unwrap();
    assert!(!o.status.success());
    assert!(text(&o).contains("listen"), "{}", text(&o));

    let o = kefu(dir.path(), &["--database-url", "postgres://kefu:secret-pw@127.0.0.1:1/none", "migrate"]);
    assert!(!o.status.success());
    assert!(!text(&o).contains("secret-pw"), "the password leaked: {}", text(&o));
}

#[test]
fn accounts_audit_backup_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.as_path();

    let o = kefu(
        data,
        &["user", "create", "--username", "boss", "--password", "Boss-Pass-2026", "--role", "platform_admin"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = kefu(data, &["user", "create", "--username", "weak", "--password", "short", "--role", "agent"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("at least 10"), "{}", text(&o));
    let o = kefu(
        data,
        &["user", "create", "--username", "x1x", "--password", "Long-Pass-2026", "--role", "king"],
    );
    assert!(text(&o).contains("unknown role 'king'"), "{}", text(&o));
    let o = kefu(data, &["demo"]);
    assert!(o.status.success() && text(&o).contains("demo data loaded"), "{}", text(&o));
    let o = kefu(
        data,
        &[
            "user",
            "create",
            "--username",
            "xc.extra",
            "--password",
            "Extra-Pass-2026",
            "--role",
            "agent",
            "--merchant",
            "xingchen-digital",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = kefu(data, &["user", "passwd", "--username", "boss", "--password", "Boss-Pass-2027"]);
    assert!(o.status.success(), "{}", text(&o));

    let o = kefu(data, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("audit trail intact"));

    // A backup taken while kefu serves, then a login that changes the database.
    let server = Server::start(data);
    let backup = dir.path().join("backup.db");
    let o = kefu(data, &["backup", "--to", backup.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let o = kefu(
        data,
        &["user", "create", "--username", "after.backup", "--password", "After-Pass-2026", "--role", "agent"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let log = server.stop();
    assert!(log.contains("kefu ready") && log.contains("kefu stopped"), "{log}");

    // Restore brings back the state of the backup: the later account is gone, the audit trail intact.
    let o = kefu(data, &["restore", "--from", backup.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let o = kefu(data, &["user", "passwd", "--username", "after.backup", "--password", "Again-Pass-2026"]);
    assert!(text(&o).contains("no user named 'after.backup'"), "{}", text(&o));
    let o = kefu(data, &["user", "passwd", "--username", "xc.extra", "--password", "Again-Pass-2026"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = kefu(data, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));

    // Restoring garbage is refused and leaves the database alone.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    let o = kefu(data, &["restore", "--from", junk.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(kefu(data, &["audit", "verify"]).status.success());
}

#[test]
fn audit_verify_names_the_altered_record_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    assert!(kefu(dir.path(), &["demo"]).status.success());
    let db = dir.path().join("kefu.db");
    // Someone with the database file edits history.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
        sqlx::query("DROP TRIGGER audit_log_no_update").execute(&mut c).await.unwrap();
        sqlx::query("UPDATE audit_log SET actor_name = 'nobody' WHERE id = 7").execute(&mut c).await.unwrap();
    });
    let o = kefu(dir.path(), &["audit", "verify"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("audit record 7") && text(&o).contains("altered"), "{}", text(&o));
}

#[test]
fn demo_is_loaded_once_and_the_server_starts_fast() {
    let dir = tempfile::tempdir().unwrap();
    assert!(kefu(dir.path(), &["demo"]).status.success());
    let o = kefu(dir.path(), &["demo"]);
    assert!(o.status.success() && text(&o).contains("already loaded"), "{}", text(&o));
    let server = Server::start(dir.path());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let c = reqwest::Client::new();
        let r = c.get(format!("{}/readyz", server.1)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let r = c
            .post(format!("{}/api/v1/auth/login", server.1))
            .json(&serde_json::json!({"username": "xc.admin", "password": "Kefu-Demo-2026"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["user"]["role"], "merchant_admin");
        let token = body["token"].as_str().unwrap().to_string();
        let get = |path: &str| {
            let req = c.get(format!("{}{path}", server.1)).bearer_auth(&token);
            async move { req.send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
        };
        let users = get("/api/v1/users").await;
        let mine = users["items"].as_array().unwrap();
        assert_eq!(mine.len(), 4, "a merchant admin sees only their merchant's staff: {users}");
        // Each shop has complaints at different steps, two of them past their deadline (投诉分析).
        let report = get("/api/v1/reports/complaints").await;
        assert_eq!(report["analysis"]["received"], 4, "{report}");
        assert_eq!(report["analysis"]["overdue"], 2, "{report}");
        // The web UI (or the page telling how to build it) answers at the root.
        let home = c.get(format!("{}/", server.1)).send().await.unwrap().text().await.unwrap();
        assert!(home.contains("kefu") || home.contains("客服"));
        // The demo's email tickets are history: the outbound feed does not try to mail their old
        // replies (each attempt would fail and note it on the ticket). The feed runs every second.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        use sqlx::{Connection, Row};
        let db = format!("sqlite://{}", dir.path().join("kefu.db").display());
        let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
        let cursor: i64 = sqlx::query("SELECT value FROM feed_cursors WHERE name = 'email.outbound'")
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .get(0);
        assert!(cursor > 0, "the cursor starts past the demo's events");
        let jobs: i64 = sqlx::query("SELECT COUNT(*) FROM jobs WHERE kind = 'email.send'")
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .get(0);
        assert_eq!(jobs, 0, "no old demo reply is sent by mail");
    });
    server.stop();
}

#[test]
fn keys_rotate_reencrypts_personal_data_and_it_stays_readable() {
    let dir = tempfile::tempdir().unwrap();
    assert!(kefu(dir.path(), &["demo"]).status.success());
    let key_file = dir.path().join("pii.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let db = format!("sqlite://{}", dir.path().join("kefu.db").display());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let key_ids = || {
        rt.block_on(async {
            use sqlx::{Connection, Row};
            let mut c = sqlx::SqliteConnection::connect(&db).await.unwrap();
            // Personal data and the secrets: every encrypted column moves with the key.
            let rows = sqlx::query(
                "SELECT name_enc AS v FROM customers UNION ALL SELECT secret FROM shop_integrations \
                 UNION ALL SELECT totp_secret FROM users WHERE totp_secret IS NOT NULL",
            )
            .fetch_all(&mut c)
            .await
            .unwrap();
            rows.iter()
                .map(|r| r.get::<String, _>("v").split(':').nth(1).unwrap_or("plain").to_string())
                .collect::<std::collections::BTreeSet<_>>()
        })
    };
    let before = key_ids();
    assert_eq!(before.len(), 1, "{before:?}");
    // A TOTP seed an older version stored in plain is encrypted by the rotation too.
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&db).await.unwrap();
        sqlx::query("UPDATE users SET totp_secret = 'JBSWY3DPEHPK3PXP' WHERE username = 'supervisor'")
            .execute(&mut c)
            .await
            .unwrap();
    });
    assert!(key_ids().contains("plain"));
    let o = kefu(dir.path(), &["keys", "rotate", "--wait", "0"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("re-encrypted ") && !text(&o).contains("re-encrypted 0 values"),
        "{}",
        text(&o)
    );
    let after = key_ids();
    assert_eq!(after.len(), 1);
    assert_ne!(before, after, "every value moved to the new key");
    assert!(kefu(dir.path(), &["audit", "verify"]).status.success());
    // The server reads them with the rotated key file.
    let server = Server::start(dir.path());
    rt.block_on(async {
        let c = reqwest::Client::new();
        let body: serde_json::Value = c
            .post(format!("{}/api/v1/auth/login", server.1))
            .json(&serde_json::json!({"username": "xc.agent1", "password": "Kefu-Demo-2026"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = body["token"].as_str().unwrap().to_string();
        let list: serde_json::Value = c
            .get(format!("{}/api/v1/customers", server.1))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let first = &list["items"][0];
        let name = first["display_name"].as_str().unwrap();
        assert!(!name.is_empty() && !name.contains('*'), "names decrypt with the rotated key: {list}");
        let phones: Vec<&str> =
            list["items"].as_array().unwrap().iter().filter_map(|c| c["phone"].as_str()).collect();
        assert!(
            !phones.is_empty() && phones.iter().all(|p| p.contains("****")),
            "phones stay masked: {list}"
        );
    });
    server.stop();
}

#[test]
fn holidays_import_refuses_a_bad_file_and_lists_an_imported_year() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let bad = data.join("2027.csv");
    std::fs::write(&bad, "date,kind,name\n2027-01-01,holiday,元旦\n2027-13-01,holiday,春节\n").unwrap();
    let o = kefu(data, &["holidays", "import", "--file", bad.to_str().unwrap(), "--year", "2027"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("line 3"), "{}", text(&o));
    let o = kefu(data, &["holidays", "list"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("2027"), "a refused file imports nothing: {}", text(&o));
    let good = data.join("2027.json");
    std::fs::write(
        &good,
        r#"{"year": 2027, "source": "国务院办公厅通知", "days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}]}"#,
    )
    .unwrap();
    let o = kefu(data, &["holidays", "import", "--file", good.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let o = kefu(data, &["holidays", "list"]);
    let listed = text(&o);
    assert!(listed.contains("2026  shipped"), "{listed}");
    assert!(listed.contains("2027  imported"), "{listed}");
}
