//! Encryption of personal data at rest and keyed hashes for exact lookup.
//!
//! Customers' names, phone numbers, e-mail and postal addresses (个人信息保护法 Art. 51) are stored
//! encrypted with AES-256-GCM. Looking a customer up by phone number or e-mail uses a *blind index*: an
//! HMAC-SHA256 of the normalised value (see `kefu_core::pii::normalize_phone` / `normalize_email`), stored
//! next to the ciphertext, so equality can be tested without decrypting anything.
//!
//! # Stored formats
//!
//! * Encrypted value: `v1:<key id>:<base64url without padding of nonce(12 bytes) ‖ ciphertext ‖ tag(16 bytes)>`.
//!   Each value has its own random 96-bit nonce. The associated data authenticated with it is
//!   `kefu-pii:v1:<key id>:<context>`, where the context names the column (`customer.phone`), so a
//!   ciphertext copied into another column, or relabelled with another key id, fails to decrypt.
//!   [`PiiCipher::encrypt`] and [`PiiCipher::decrypt`] use the empty context.
//! * Blind index: 64 lower-case hex digits, HMAC-SHA256 under the index key over
//!   `kefu-bidx:v1:` ‖ length of the context (8 bytes, big endian) ‖ context ‖ value. The context (e.g.
//!   `customer.phone`) keeps equal values of different columns apart.
//!
//! # Keys
//!
//! A [`PiiCipher`] holds a key ring: one *active* data key that encrypts new values, older data keys
//! that only decrypt, and one *index key* for blind indexes. Key ids are short ASCII names (`k` and
//! eight hex digits for generated keys) and never contain `:`.
//!
//! The index key is its own secret, stored separately from the data keys (the key file's `index_key`
//! field), created once with the key file and never changed by rotation. So rotating data keys
//! re-encrypts values but leaves every blind index valid, and an old data key can be removed after
//! re-encryption without touching the indexes. (Changing the index key would mean recomputing every
//! index from decrypted values; there is deliberately no operation for that here.)
//!
//! A key given in configuration ([`PiiCipher::from_key_material`], base64 of 32 bytes) is a master key
//! from which both keys are derived: data key = HMAC-SHA256(master, `kefu pii data key v1`), index key =
//! HMAC-SHA256(master, `kefu blind index v1`), key id = `m` and eight hex digits of
//! HMAC-SHA256(master, `kefu pii key id v1`), so the same configuration always yields the same ring.
//!
//! # The key file
//!
//! [`PiiCipher::load_or_create`] reads the key file or creates it on first start. It is JSON:
//!
//! ```json
//! {
//!   "note": "…",
//!   "version": 1,
//!   "active": "k3f09a2c1",
//!   "index_key": "<base64, 32 bytes>",
//!   "keys": [ { "id": "k3f09a2c1", "created": "2026-03-01T08:00:00Z", "key": "<base64, 32 bytes>" } ]
//! }
//! ```
//!
//! It lives outside the database (a stolen database dump must not contain its own key) and must be
//! backed up: without it the personal data cannot be decrypted. It is created with mode 0600, and on
//! Unix a key file that its group or other users may read, write or execute (any bit of 0o077) is
//! refused with [`CryptoError::InsecurePermissions`] rather than used with a warning. Writes go to a
//! temporary file in the same directory, are synced, then moved into place, so a crash never leaves a
//! half-written key file; a first start never replaces a key file another process created meanwhile.
//!
//! # Rotation without downtime
//!
//! 1. [`PiiCipher::rotate`] adds a new active key; [`PiiCipher::save`] writes the ring; every node
//!    reloads it. Values under older keys still decrypt.
//! 2. A background job re-encrypts rows for which [`PiiCipher::needs_reencryption`] is true with
//!    [`PiiCipher::reencrypt`]. Blind indexes stay as they are.
//! 3. When no value uses an old key any more, [`PiiCipher::retire`] removes it and the ring is saved.
//!
//! Limits: with random nonces a key should encrypt well under 2³² values (rotate long before); key
//! material in memory is not zeroed on drop.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use kefu_core::time::Millis;
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

type HmacSha256 = Hmac<Sha256>;

/// The format version of encrypted values.
const VALUE_VERSION: &str = "v1";
/// The format version of key files.
const KEY_FILE_VERSION: u32 = 1;
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const MAX_KEY_ID_LEN: usize = 32;
/// Key files are small; anything larger is not one.
const MAX_KEY_FILE_BYTES: u64 = 1 << 20;
const KEY_FILE_NOTE: &str = "kefu personal-data keys. Keep this file secret (mode 0600) and backed up; \
                             never store it in the database. Without it, encrypted personal data is lost.";

/// Why encryption, decryption or key handling failed. Messages never contain key material or
/// plaintext.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The stored text is not an encrypted value (wrong shape, bad base64, too short).
    #[error("malformed encrypted value: {0}")]
    Malformed(&'static str),
    /// The stored value has a format version this build does not know.
    #[error("unsupported encrypted value version '{0}'")]
    UnsupportedVersion(String),
    /// The key that encrypted the value is not in the key ring.
    #[error("unknown encryption key id '{0}'")]
    UnknownKey(String),
    /// The value failed authentication: it was altered, belongs to another context (column), or the
    /// key under its id is not the key that encrypted it.
    #[error("encrypted value failed authentication (altered, another context, or another key)")]
    Authentication,
    /// A key given in configuration or a key file is unusable.
    #[error("invalid key material: {0}")]
    InvalidKey(String),
    /// The active key cannot be retired.
    #[error("key '{0}' is the active key and cannot be retired")]
    ActiveKey(String),
    /// The key file exists but is not a valid key file.
    #[error("key file {}: {message}", path.display())]
    KeyFile { path: PathBuf, message: String },
    /// The key file is accessible by its group or other users.
    #[error(
        "key file {} is accessible by group or other users (mode {mode:03o}); restrict it with chmod 600",
        path.display()
    )]
    InsecurePermissions { path: PathBuf, mode: u32 },
    /// Reading or writing the key file failed.
    #[error("key file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The operating system's random number generator failed.
    #[error("random number generator failed: {0}")]
    Random(String),
    /// Encryption failed (only for plaintexts beyond AES-GCM's limit of 64 GiB).
    #[error("encryption failed")]
    Encrypt,
}

fn io_error(path: &Path, source: std::io::Error) -> CryptoError {
    CryptoError::Io { path: path.to_path_buf(), source }
}

/// One data key of the ring.
#[derive(Clone)]
struct DataKey {
    id: String,
    created: Millis,
    secret: [u8; KEY_LEN],
    aead: Aes256Gcm,
}

impl DataKey {
    fn new(id: String, created: Millis, secret: [u8; KEY_LEN]) -> DataKey {
        let aead = Aes256Gcm::new(&secret.into());
        DataKey { id, created, secret, aead }
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("id", &self.id)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// A data key's public description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub id: String,
    pub created: Millis,
    /// Whether new values are encrypted under this key.
    pub active: bool,
}

/// The key ring for personal data: AES-256-GCM encryption with key rotation, and blind indexes.
/// See the module documentation for formats and the rotation procedure. `Debug` shows key ids only.
#[derive(Clone)]
pub struct PiiCipher {
    /// Encrypts new values.
    active: DataKey,
    /// Older keys, oldest first: decrypt only.
    previous: Vec<DataKey>,
    index_key: [u8; KEY_LEN],
    /// The HMAC state keyed with `index_key`, cloned per blind index.
    index_mac: HmacSha256,
}

impl fmt::Debug for PiiCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PiiCipher")
            .field("active", &self.active.id)
            .field("previous", &self.previous.iter().map(|k| k.id.as_str()).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    OsRng.try_fill_bytes(&mut out).map_err(|e| CryptoError::Random(e.to_string()))?;
    Ok(out)
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Result<[u8; 32], CryptoError> {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key)
        .map_err(|_| CryptoError::InvalidKey("HMAC key rejected".into()))?;
    for part in parts {
        mac.update(part);
    }
    Ok(mac.finalize().into_bytes().into())
}

fn now() -> Millis {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Millis(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
}

fn valid_key_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_KEY_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Decodes a 32-byte key written in base64 (standard or URL-safe alphabet, padded or not).
fn decode_key(text: &str) -> Result<[u8; KEY_LEN], CryptoError> {
    let text = text.trim();
    let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .ok_or_else(|| CryptoError::InvalidKey("a key must be base64 text".into()))?;
    <[u8; KEY_LEN]>::try_from(bytes.as_slice()).map_err(|_| {
        CryptoError::InvalidKey(format!("a key must be {KEY_LEN} bytes, this one has {}", bytes.len()))
    })
}

/// The associated data of a value: binds format version, key id and context.
fn associated_data(key_id: &str, context: &str) -> Vec<u8> {
    format!("kefu-pii:{VALUE_VERSION}:{key_id}:{context}").into_bytes()
}

/// The key id and the raw bytes (nonce ‖ ciphertext ‖ tag) of a stored value.
fn parse_stored(stored: &str) -> Result<(&str, Vec<u8>), CryptoError> {
    let mut parts = stored.splitn(3, ':');
    let (Some(version), Some(key_id), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(CryptoError::Malformed("expected v1:<key id>:<data>"));
    };
    if version != VALUE_VERSION {
        let looks_like_version = version.len() <= 4
            && version.starts_with('v')
            && version.len() > 1
            && version[1..].bytes().all(|b| b.is_ascii_digit());
        return Err(if looks_like_version {
            CryptoError::UnsupportedVersion(version.to_string())
        } else {
            CryptoError::Malformed("expected v1:<key id>:<data>")
        });
    }
    if !valid_key_id(key_id) {
        return Err(CryptoError::Malformed("invalid key id"));
    }
    let bytes = URL_SAFE_NO_PAD.decode(data).map_err(|_| CryptoError::Malformed("data is not base64url"))?;
    if bytes.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Malformed("data is too short"));
    }
    Ok((key_id, bytes))
}

impl PiiCipher {
    fn with_keys(
        active: DataKey,
        previous: Vec<DataKey>,
        index_key: [u8; KEY_LEN],
    ) -> Result<Self, CryptoError> {
        let index_mac = <HmacSha256 as Mac>::new_from_slice(&index_key)
            .map_err(|_| CryptoError::InvalidKey("index key rejected".into()))?;
        Ok(PiiCipher { active, previous, index_key, index_mac })
    }

    /// A new ring with one random data key and a random index key.
    pub fn generate() -> Result<PiiCipher, CryptoError> {
        let active = DataKey::new(Self::fresh_key_id(&[])?, now(), random_bytes()?);
        PiiCipher::with_keys(active, Vec::new(), random_bytes()?)
    }

    /// A ring derived from one master key given in configuration: base64 of 32 random bytes (e.g.
    /// `openssl rand -base64 32`). See the module documentation for the derivation.
    pub fn from_key_material(master_base64: &str) -> Result<PiiCipher, CryptoError> {
        let master = decode_key(master_base64)?;
        let data = hmac_sha256(&master, &[b"kefu pii data key v1"])?;
        let index = hmac_sha256(&master, &[b"kefu blind index v1"])?;
        let id = hmac_sha256(&master, &[b"kefu pii key id v1"])?;
        let active = DataKey::new(format!("m{}", hex::encode(&id[..4])), now(), data);
        PiiCipher::with_keys(active, Vec::new(), index)
    }

    /// A generated key id (`k` and 8 hex digits) that no key in `taken` has.
    fn fresh_key_id(taken: &[&str]) -> Result<String, CryptoError> {
        loop {
            let id = format!("k{}", hex::encode(random_bytes::<4>()?));
            if !taken.contains(&id.as_str()) {
                return Ok(id);
            }
        }
    }

    fn all_keys(&self) -> impl Iterator<Item = &DataKey> {
        self.previous.iter().chain(std::iter::once(&self.active))
    }

    fn key(&self, id: &str) -> Option<&DataKey> {
        self.all_keys().find(|k| k.id == id)
    }

    /// The id of the key that encrypts new values.
    pub fn active_key_id(&self) -> &str {
        &self.active.id
    }

    /// All data keys, oldest first; the active key is last.
    pub fn keys(&self) -> Vec<KeyInfo> {
        self.all_keys()
            .map(|k| KeyInfo { id: k.id.clone(), created: k.created, active: k.id == self.active.id })
            .collect()
    }

    /// Encrypts with the empty context. Prefer [`PiiCipher::encrypt_for`] with the column's name.
    pub fn encrypt(&self, plaintext: &str) -> Result<String, CryptoError> {
        self.encrypt_for("", plaintext)
    }

    /// Decrypts a value encrypted by [`PiiCipher::encrypt`].
    pub fn decrypt(&self, stored: &str) -> Result<String, CryptoError> {
        self.decrypt_for("", stored)
    }

    /// Encrypts `plaintext` under the active key with a fresh random nonce, bound to `context` (the
    /// column, e.g. `customer.phone`). Equal plaintexts give different texts every time.
    pub fn encrypt_for(&self, context: &str, plaintext: &str) -> Result<String, CryptoError> {
        let key = &self.active;
        let nonce = random_bytes::<NONCE_LEN>()?;
        let aad = associated_data(&key.id, context);
        let sealed = key
            .aead
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: &aad })
            .map_err(|_| CryptoError::Encrypt)?;
        let mut data = Vec::with_capacity(NONCE_LEN + sealed.len());
        data.extend_from_slice(&nonce);
        data.extend_from_slice(&sealed);
        Ok(format!("{VALUE_VERSION}:{}:{}", key.id, URL_SAFE_NO_PAD.encode(data)))
    }

    /// Decrypts a value encrypted by [`PiiCipher::encrypt_for`] with the same `context`, under any key of
    /// the ring. Malformed text, an unknown version, an unknown key id and a failed authentication are
    /// distinct errors.
    pub fn decrypt_for(&self, context: &str, stored: &str) -> Result<String, CryptoError> {
        let (key_id, data) = parse_stored(stored)?;
        let key = self.key(key_id).ok_or_else(|| CryptoError::UnknownKey(key_id.to_string()))?;
        let (nonce, sealed) = data.split_at(NONCE_LEN);
        let aad = associated_data(key_id, context);
        let plain = key
            .aead
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: &aad })
            .map_err(|_| CryptoError::Authentication)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Malformed("plaintext is not UTF-8"))
    }

    /// The blind index of a value: lower-case hex HMAC-SHA256 under the index key, separated by
    /// `kind_context` (e.g. `customer.phone`). Pass the *normalised* value
    /// (`kefu_core::pii::PiiKind::normalize`), so that every spelling of it finds the same row. Stable
    /// across data-key rotation.
    pub fn blind_index(&self, kind_context: &str, normalized_value: &str) -> String {
        let mut mac = self.index_mac.clone();
        mac.update(b"kefu-bidx:v1:");
        mac.update(&(kind_context.len() as u64).to_be_bytes());
        mac.update(kind_context.as_bytes());
        mac.update(normalized_value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Adds a new random data key and makes it the active one; older keys keep decrypting. Returns
    /// the new key's id. Save the ring afterwards ([`PiiCipher::save`]).
    pub fn rotate(&mut self) -> Result<String, CryptoError> {
        let taken: Vec<&str> = self.all_keys().map(|k| k.id.as_str()).collect();
        let id = PiiCipher::fresh_key_id(&taken)?;
        let key = DataKey::new(id.clone(), now(), random_bytes()?);
        let old = std::mem::replace(&mut self.active, key);
        self.previous.push(old);
        Ok(id)
    }

    /// Removes an old data key once no stored value uses it any more. The active key cannot be retired.
    pub fn retire(&mut self, key_id: &str) -> Result<(), CryptoError> {
        if key_id == self.active.id {
            return Err(CryptoError::ActiveKey(key_id.to_string()));
        }
        let before = self.previous.len();
        self.previous.retain(|k| k.id != key_id);
        if self.previous.len() == before {
            return Err(CryptoError::UnknownKey(key_id.to_string()));
        }
        Ok(())
    }

    /// Whether `stored` has the form of an encrypted value (`v1:<key id>:<data>`), whichever key.
    pub fn is_sealed(stored: &str) -> bool {
        parse_stored(stored).is_ok()
    }

    /// Whether `stored` is a well-formed value encrypted under a key other than the active one.
    /// Malformed text is not (re-encryption could not read it either).
    pub fn needs_reencryption(&self, stored: &str) -> bool {
        matches!(parse_stored(stored), Ok((key_id, _)) if key_id != self.active.id)
    }

    /// The value encrypted under the active key. A value already under the active key is verified and
    /// returned unchanged, so a re-encryption job may run any number of times.
    pub fn reencrypt(&self, context: &str, stored: &str) -> Result<String, CryptoError> {
        let plaintext = self.decrypt_for(context, stored)?;
        if !self.needs_reencryption(stored) {
            return Ok(stored.to_string());
        }
        self.encrypt_for(context, &plaintext)
    }

    // --- the key file -----------------------------------------------------------------------------

    /// Reads the key file at `path`, or creates one with a new random ring (mode 0600) if there is
    /// none. If another process creates the file at the same moment, its ring is loaded instead.
    pub fn load_or_create(path: &Path) -> Result<PiiCipher, CryptoError> {
        match std::fs::metadata(path) {
            Ok(_) => PiiCipher::load(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let cipher = PiiCipher::generate()?;
                if write_key_file(path, &cipher.key_file_text()?, false)? {
                    tracing::info!(
                        path = %path.display(),
                        "created the personal-data key file; back it up, it is needed to read customer data"
                    );
                    Ok(cipher)
                } else {
                    PiiCipher::load(path)
                }
            }
            Err(e) => Err(io_error(path, e)),
        }
    }

    /// Reads an existing key file. On Unix it must not be accessible by group or other users.
    pub fn load(path: &Path) -> Result<PiiCipher, CryptoError> {
        let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
        let invalid = |message: String| CryptoError::KeyFile { path: path.to_path_buf(), message };
        if !meta.is_file() {
            return Err(invalid("not a regular file".into()));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(CryptoError::InsecurePermissions { path: path.to_path_buf(), mode });
            }
        }
        if meta.len() > MAX_KEY_FILE_BYTES {
            return Err(invalid("too large to be a key file".into()));
        }
        let text = std::fs::read_to_string(path).map_err(|e| io_error(path, e))?;
        PiiCipher::from_key_file_text(&text).map_err(|e| match e {
            CryptoError::InvalidKey(message) => invalid(message),
            other => other,
        })
    }

    /// Writes the ring to `path` atomically (temporary file, sync, rename), mode 0600, replacing any
    /// file there. Use after [`PiiCipher::rotate`] or [`PiiCipher::retire`].
    pub fn save(&self, path: &Path) -> Result<(), CryptoError> {
        write_key_file(path, &self.key_file_text()?, true).map(|_| ())
    }

    fn key_file_text(&self) -> Result<String, CryptoError> {
        let file = KeyFile {
            note: KEY_FILE_NOTE.to_string(),
            version: KEY_FILE_VERSION,
            active: self.active.id.clone(),
            index_key: STANDARD.encode(self.index_key),
            keys: self
                .all_keys()
                .map(|k| KeyFileEntry {
                    id: k.id.clone(),
                    created: k.created,
                    key: STANDARD.encode(k.secret),
                })
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&file)
            .map_err(|_| CryptoError::InvalidKey("the key ring cannot be serialised".into()))?;
        text.push('\n');
        Ok(text)
    }

    /// Parses key file text. Errors name the problem but never echo file content.
    fn from_key_file_text(text: &str) -> Result<PiiCipher, CryptoError> {
        let bad = |m: &str| CryptoError::InvalidKey(m.to_string());
        let file: KeyFile = serde_json::from_str(text).map_err(|e| {
            CryptoError::InvalidKey(format!(
                "not a valid key file ({:?} error at line {}, column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
        if file.version != KEY_FILE_VERSION {
            return Err(CryptoError::InvalidKey(format!("unsupported key file version {}", file.version)));
        }
        let index_key = decode_key(&file.index_key)?;
        let mut keys = Vec::with_capacity(file.keys.len());
        for entry in file.keys {
            if !valid_key_id(&entry.id) {
                return Err(bad("key ids are 1 to 32 letters, digits, '-' or '_'"));
            }
            if keys.iter().any(|k: &DataKey| k.id == entry.id) {
                return Err(CryptoError::InvalidKey(format!("key id '{}' appears twice", entry.id)));
            }
            let secret = decode_key(&entry.key).map_err(|e| match e {
                CryptoError::InvalidKey(m) => CryptoError::InvalidKey(format!("key '{}': {m}", entry.id)),
                other => other,
            })?;
            keys.push(DataKey::new(entry.id, entry.created, secret));
        }
        let position = keys
            .iter()
            .position(|k| k.id == file.active)
            .ok_or_else(|| bad("the active key id is not among the keys"))?;
        let active = keys.remove(position);
        PiiCipher::with_keys(active, keys, index_key)
    }
}

/// The key file as stored. No `Debug`: it holds key material.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    #[serde(default)]
    note: String,
    version: u32,
    active: String,
    index_key: String,
    keys: Vec<KeyFileEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileEntry {
    id: String,
    created: Millis,
    key: String,
}

/// Writes `text` to `path` through a temporary file in the same directory (mode 0600, synced).
/// With `replace` the file is renamed over any existing one; without, it is linked into place only if
/// no file exists there, and `Ok(false)` says another file was there first.
fn write_key_file(path: &Path, text: &str, replace: bool) -> Result<bool, CryptoError> {
    let file_name = path.file_name().ok_or_else(|| CryptoError::KeyFile {
        path: path.to_path_buf(),
        message: "not a file path".into(),
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let suffix = hex::encode(random_bytes::<6>()?);
    let temp = dir.join(format!(".{}.{}.{suffix}.tmp", file_name.to_string_lossy(), std::process::id()));

    let written = write_new_private_file(&temp, text.as_bytes()).and_then(|()| {
        if replace {
            std::fs::rename(&temp, path).map(|()| true)
        } else {
            match std::fs::hard_link(&temp, path) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                // A file system without hard links: a plain rename, unless a file appeared meanwhile.
                Err(_) if path.exists() => Ok(false),
                Err(_) => std::fs::rename(&temp, path).map(|()| true),
            }
        }
    });
    // The temporary file is gone after a rename; after a link or a failure it is removed here.
    let _ = std::fs::remove_file(&temp);
    let written = written.map_err(|e| io_error(path, e))?;
    sync_dir(&dir);
    Ok(written)
}

fn write_new_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes a rename or link durable. Best effort: not every platform can open a directory.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASTER: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    fn cipher() -> PiiCipher {
        PiiCipher::from_key_material(MASTER).unwrap()
    }

    /// Rewrites the bytes of a stored value.
    fn tamper(stored: &str, f: impl FnOnce(&mut Vec<u8>)) -> String {
        let (head, data) = stored.rsplit_once(':').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(data).unwrap();
        f(&mut bytes);
        format!("{head}:{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    #[test]
    fn values_round_trip() {
        let c = cipher();
        for plain in ["13812345678", "张三", "广东省深圳市南山区科技园路1号3栋502", "", "🐼 emoji ✓", "a:b:c"]
        {
            let stored = c.encrypt_for("customer.phone", plain).unwrap();
            assert_eq!(c.decrypt_for("customer.phone", &stored).unwrap(), plain);
            if plain.len() > 4 {
                assert!(!stored.contains(plain));
            }
            let stored = c.encrypt(plain).unwrap();
            assert_eq!(c.decrypt(&stored).unwrap(), plain);
        }
        let long = "长".repeat(100_000);
        assert_eq!(c.decrypt(&c.encrypt(&long).unwrap()).unwrap(), long);
    }

    #[test]
    fn stored_form_is_versioned_text_naming_the_key() {
        let c = cipher();
        let stored = c.encrypt("张三").unwrap();
        let mut parts = stored.splitn(3, ':');
        assert_eq!(parts.next(), Some("v1"));
        assert_eq!(parts.next(), Some(c.active_key_id()));
        let data = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
        assert_eq!(data.len(), NONCE_LEN + "张三".len() + TAG_LEN);
        assert!(stored.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_:".contains(&b)));
    }

    #[test]
    fn equal_plaintexts_encrypt_differently() {
        let c = cipher();
        let a = c.encrypt_for("customer.name", "张三").unwrap();
        let b = c.encrypt_for("customer.name", "张三").unwrap();
        assert_ne!(a, b);
        let nonce =
            |s: &str| URL_SAFE_NO_PAD.decode(s.rsplit_once(':').unwrap().1).unwrap()[..NONCE_LEN].to_vec();
        assert_ne!(nonce(&a), nonce(&b));
    }

    #[test]
    fn altered_values_fail_authentication() {
        let c = cipher();
        let stored = c.encrypt_for("customer.phone", "13812345678").unwrap();
        for position in [0, NONCE_LEN, NONCE_LEN + 5] {
            let bad = tamper(&stored, |b| b[position] ^= 1);
            assert!(matches!(c.decrypt_for("customer.phone", &bad), Err(CryptoError::Authentication)));
        }
        let bad = tamper(&stored, |b| {
            let last = b.len() - 1;
            b[last] ^= 0x80;
        });
        assert!(matches!(c.decrypt_for("customer.phone", &bad), Err(CryptoError::Authentication)));
        let truncated = tamper(&stored, |b| b.truncate(b.len() - 1));
        assert!(matches!(c.decrypt_for("customer.phone", &truncated), Err(CryptoError::Authentication)));
    }

    #[test]
    fn a_value_cannot_move_to_another_context() {
        let c = cipher();
        let stored = c.encrypt_for("customer.phone", "13812345678").unwrap();
        assert!(matches!(c.decrypt_for("customer.email", &stored), Err(CryptoError::Authentication)));
        assert!(matches!(c.decrypt(&stored), Err(CryptoError::Authentication)));
        let plain = c.encrypt("13812345678").unwrap();
        assert!(matches!(c.decrypt_for("customer.phone", &plain), Err(CryptoError::Authentication)));
    }

    #[test]
    fn malformed_and_unknown_values_are_distinct_errors() {
        let c = cipher();
        let stored = c.encrypt("张三").unwrap();
        let data = stored.rsplit_once(':').unwrap().1;
        for text in [
            "",
            "张三",
            "v1",
            "v1:",
            "v1:k1",
            "v1::abc",
            "v1:k 1:AAAA",
            "v1:k1:!!!!",
            "v1:k1:AAAA",
            "V1:k1:AAAA",
            "vx:k1:AAAA",
            "🐼:🐼:🐼",
            &format!("v1:{}:{data}=", c.active_key_id()),
        ] {
            assert!(matches!(c.decrypt(text), Err(CryptoError::Malformed(_))), "{text}");
            assert!(!c.needs_reencryption(text), "{text}");
        }
        assert!(matches!(
            c.decrypt(&format!("v2:{}:{data}", c.active_key_id())),
            Err(CryptoError::UnsupportedVersion(v)) if v == "v2"
        ));
        assert!(matches!(
            c.decrypt(&format!("v1:k00000000:{data}")),
            Err(CryptoError::UnknownKey(id)) if id == "k00000000"
        ));
        // Another master key: its key id is unknown to this ring.
        let other = PiiCipher::from_key_material(&STANDARD.encode([9u8; 32])).unwrap();
        assert!(matches!(other.decrypt(&stored), Err(CryptoError::UnknownKey(_))));
        // A different key under the same id fails authentication.
        let relabelled = format!("v1:{}:{}", other.active_key_id(), data);
        assert!(matches!(other.decrypt(&relabelled), Err(CryptoError::Authentication)));
        for e in
            [CryptoError::Malformed("x"), CryptoError::Authentication, CryptoError::UnknownKey("k".into())]
        {
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn blind_indexes_are_stable_and_separated() {
        let c = cipher();
        let a = c.blind_index("customer.phone", "13812345678");
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(a, c.blind_index("customer.phone", "13812345678"));
        assert_eq!(a, cipher().blind_index("customer.phone", "13812345678"));
        assert_ne!(a, c.blind_index("customer.phone", "13812345679"));
        assert_ne!(a, c.blind_index("customer.mobile", "13812345678"));
        // The context is length-prefixed: moving characters between context and value changes the index.
        assert_ne!(c.blind_index("ab", "c"), c.blind_index("a", "bc"));
        let other = PiiCipher::from_key_material(&STANDARD.encode([9u8; 32])).unwrap();
        assert_ne!(a, other.blind_index("customer.phone", "13812345678"));
        // Not a plain hash of the value.
        let plain = hex::encode(<Sha256 as sha2::Digest>::digest("13812345678"));
        assert_ne!(a, plain);
    }

    #[test]
    fn rotation_keeps_old_values_readable_and_indexes_unchanged() {
        let mut c = cipher();
        let first = c.active_key_id().to_string();
        let index_before = c.blind_index("customer.phone", "13812345678");
        let old = c.encrypt_for("customer.phone", "13812345678").unwrap();
        assert!(!c.needs_reencryption(&old));

        let second = c.rotate().unwrap();
        assert_ne!(second, first);
        assert_eq!(c.active_key_id(), second);
        let ids: Vec<(String, bool)> = c.keys().into_iter().map(|k| (k.id, k.active)).collect();
        assert_eq!(ids, [(first.clone(), false), (second.clone(), true)]);

        assert_eq!(c.decrypt_for("customer.phone", &old).unwrap(), "13812345678");
        let new = c.encrypt_for("customer.phone", "13912345678").unwrap();
        assert!(new.starts_with(&format!("v1:{second}:")));
        assert!(c.needs_reencryption(&old));
        assert!(!c.needs_reencryption(&new));

        let moved = c.reencrypt("customer.phone", &old).unwrap();
        assert!(moved.starts_with(&format!("v1:{second}:")));
        assert_eq!(c.decrypt_for("customer.phone", &moved).unwrap(), "13812345678");
        assert_eq!(c.reencrypt("customer.phone", &moved).unwrap(), moved);
        assert!(matches!(c.reencrypt("customer.email", &old), Err(CryptoError::Authentication)));
        assert_eq!(c.blind_index("customer.phone", "13812345678"), index_before);

        // Once nothing uses the first key it can go; the active one cannot.
        assert!(matches!(c.retire(&second), Err(CryptoError::ActiveKey(_))));
        c.retire(&first).unwrap();
        assert!(matches!(c.retire(&first), Err(CryptoError::UnknownKey(_))));
        assert!(matches!(c.decrypt_for("customer.phone", &old), Err(CryptoError::UnknownKey(_))));
        assert_eq!(c.decrypt_for("customer.phone", &moved).unwrap(), "13812345678");
        assert_eq!(c.blind_index("customer.phone", "13812345678"), index_before);
    }

    #[test]
    fn configured_keys_are_checked_and_deterministic() {
        let a = cipher();
        let b = PiiCipher::from_key_material(&format!(
            "  {}\n",
            URL_SAFE_NO_PAD.encode(STANDARD.decode(MASTER).unwrap())
        ))
        .unwrap();
        assert_eq!(a.active_key_id(), b.active_key_id());
        assert!(a.active_key_id().starts_with('m'));
        assert_eq!(b.decrypt(&a.encrypt("张三").unwrap()).unwrap(), "张三");
        for bad in ["", "not base64!", &STANDARD.encode([1u8; 16]), &STANDARD.encode([1u8; 33])] {
            assert!(matches!(PiiCipher::from_key_material(bad), Err(CryptoError::InvalidKey(_))), "{bad}");
        }
        let e = PiiCipher::from_key_material(&STANDARD.encode([1u8; 16])).unwrap_err().to_string();
        assert!(e.contains("32 bytes") && !e.contains(&STANDARD.encode([1u8; 16])), "{e}");
    }

    #[test]
    fn debug_output_never_shows_key_material() {
        let mut c = cipher();
        c.rotate().unwrap();
        let text = format!("{c:?} {c:#?} {:?} {:#?}", c.active, c.previous);
        assert!(text.contains(c.active_key_id()), "{text}");
        let secrets = c
            .all_keys()
            .map(|k| k.secret)
            .chain([c.index_key, STANDARD.decode(MASTER).unwrap().try_into().unwrap()]);
        for key in secrets {
            for form in
                [STANDARD.encode(key), URL_SAFE_NO_PAD.encode(key), hex::encode(key), format!("{key:?}")]
            {
                assert!(!text.contains(&form[..16]), "{text}");
            }
        }
    }

    #[test]
    fn generated_rings_differ() {
        let a = PiiCipher::generate().unwrap();
        let b = PiiCipher::generate().unwrap();
        assert!(a.active_key_id().starts_with('k') && a.active_key_id().len() == 9);
        assert_ne!(a.blind_index("c", "v"), b.blind_index("c", "v"));
        assert!(b.decrypt(&a.encrypt("x").unwrap()).is_err());
    }

    #[cfg(unix)]
    fn mode_of(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_created_private_and_reloads_equal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pii-keys.json");
        let created = PiiCipher::load_or_create(&path).unwrap();
        assert_eq!(mode_of(&path), 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["version"], 1);
        assert_eq!(json["active"], created.active_key_id());
        assert_eq!(json["keys"][0]["id"], created.active_key_id());
        assert!(json["keys"][0]["created"].as_str().unwrap().ends_with('Z'));

        let loaded = PiiCipher::load_or_create(&path).unwrap();
        assert_eq!(loaded.key_file_text().unwrap(), created.key_file_text().unwrap());
        assert_eq!(loaded.keys(), created.keys());
        assert_eq!(loaded.blind_index("customer.phone", "1"), created.blind_index("customer.phone", "1"));
        assert_eq!(loaded.decrypt(&created.encrypt("张三").unwrap()).unwrap(), "张三");
        // Nothing but the key file is left in the directory.
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["pii-keys.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn rotation_is_saved_atomically_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let mut c = PiiCipher::load_or_create(&path).unwrap();
        let old = c.encrypt_for("customer.email", "zhang.san@example.com").unwrap();
        let index = c.blind_index("customer.email", "zhang.san@example.com");
        let new_id = c.rotate().unwrap();
        c.save(&path).unwrap();
        assert_eq!(mode_of(&path), 0o600);

        let reloaded = PiiCipher::load(&path).unwrap();
        assert_eq!(reloaded.active_key_id(), new_id);
        assert_eq!(reloaded.keys(), c.keys());
        assert_eq!(reloaded.decrypt_for("customer.email", &old).unwrap(), "zhang.san@example.com");
        assert_eq!(reloaded.blind_index("customer.email", "zhang.san@example.com"), index);
        assert!(reloaded.needs_reencryption(&old));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["keys.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn an_accessible_key_file_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        PiiCipher::load_or_create(&path).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o620, 0o601] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let e = PiiCipher::load_or_create(&path).unwrap_err();
            assert!(matches!(e, CryptoError::InsecurePermissions { mode: m, .. } if m == mode), "{e}");
            assert!(e.to_string().contains("chmod 600"));
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        PiiCipher::load(&path).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_broken_key_file_is_an_error_that_does_not_echo_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let good = PiiCipher::generate().unwrap().key_file_text().unwrap();
        let secret = serde_json::from_str::<serde_json::Value>(&good).unwrap()["keys"][0]["key"]
            .as_str()
            .unwrap()
            .to_string();
        let cases = [
            "".to_string(),
            "{".to_string(),
            "[]".to_string(),
            good.replace("\"version\": 1", "\"version\": 2"),
            good.replace("\"version\": 1", &format!("\"version\": \"{secret}\"")),
            good.replace(&secret, "c2hvcnQ="),
            good.replace(&secret, "***"),
            good.replace("\"active\": \"", "\"active\": \"x"),
            good.replace("\"note\"", "\"extra\""),
        ];
        for text in cases {
            std::fs::write(&path, &text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            let e = PiiCipher::load_or_create(&path).unwrap_err();
            assert!(matches!(e, CryptoError::KeyFile { .. }), "{e}");
            assert!(!e.to_string().contains(&secret), "{e}");
        }
        let missing = dir.path().join("no-such-dir").join("keys.json");
        assert!(matches!(PiiCipher::load_or_create(&missing), Err(CryptoError::Io { .. })));
        assert!(matches!(PiiCipher::load(dir.path()), Err(CryptoError::KeyFile { .. })));
    }

    #[cfg(unix)]
    #[test]
    fn concurrent_first_starts_agree_on_one_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let rings: Vec<PiiCipher> = std::thread::scope(|s| {
            let handles: Vec<_> =
                (0..8).map(|_| s.spawn(|| PiiCipher::load_or_create(&path).unwrap())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let on_disk = PiiCipher::load(&path).unwrap().key_file_text().unwrap();
        for ring in rings {
            assert_eq!(ring.key_file_text().unwrap(), on_disk);
        }
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["keys.json"]);
    }

    #[test]
    fn the_cipher_can_be_shared_between_threads() {
        fn shared<T: Send + Sync + Clone>() {}
        shared::<PiiCipher>();
    }
}
