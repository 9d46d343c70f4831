//! Shared by the in-process benchmarks (`kefu-bench-sla`, `kefu-bench-routing`): a kefu server state on a
//! fresh SQLite database in a temporary folder, as `kefu serve` builds it.

use kefu_server::{AppState, Config, Overrides};
use std::path::PathBuf;

/// A fresh database and the server state on it; remove `dir` when done.
pub struct Fresh {
    pub state: AppState,
    pub url: String,
    pub dir: PathBuf,
}

pub async fn fresh_sqlite(name: &str) -> anyhow::Result<Fresh> {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}/kefu.db", dir.display());
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(dir.clone()),
        database_url: Some(url.clone()),
        web_dir: None,
    };
    let config = Config::load(None, Vec::<(String, String)>::new(), &overrides)?;
    let store = kefu_store::open(&url, true).await?;
    store.set_cipher(std::sync::Arc::new(config.load_cipher()?));
    let state = AppState::new(store, config).await?;
    Ok(Fresh { state, url, dir })
}

/// A multi-threaded runtime on the machine's two cores, as the server runs.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}
