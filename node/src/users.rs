//! People of this agency (local accounts): name, role, the resources an
//! approver decides, and the SHA-256 of their API token, kept in the
//! home's `users.json` (mode 0600). The token itself is shown once, when
//! the person is added.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use api::{Role, UserAdd, UserEntry};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{hex, random_secret};

/// A person as stored: never the token, only its hash.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    user: UserEntry,
    token_sha256: String,
}

/// The registry, shared by the API server's handlers.
#[derive(Clone, Debug)]
pub struct Users {
    path: PathBuf,
    list: Arc<Mutex<Vec<Stored>>>,
}

/// Who a request to the API comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// The agency's own token (`api.json`): everything.
    Agency,
    /// A person of the agency.
    User(UserEntry),
}

impl Identity {
    /// The person's role; the agency's token acts as an operator.
    pub fn role(&self) -> Role {
        match self {
            Identity::Agency => Role::Operator,
            Identity::User(u) => u.role,
        }
    }

    /// The person's name, if a person.
    pub fn name(&self) -> Option<&str> {
        match self {
            Identity::Agency => None,
            Identity::User(u) => Some(&u.name),
        }
    }
}

fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

impl Users {
    /// The registry of the home in `dir` (empty if it has none yet).
    pub fn load(dir: &std::path::Path) -> anyhow::Result<Self> {
        let path = dir.join("users.json");
        let list = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| anyhow::anyhow!("{} is corrupt: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(anyhow::anyhow!("reading {}: {e}", path.display())),
        };
        Ok(Self {
            path,
            list: Arc::new(Mutex::new(list)),
        })
    }

    /// An empty registry that would be saved at `dir`'s `users.json`.
    pub fn empty(dir: &std::path::Path) -> Self {
        Self {
            path: dir.join("users.json"),
            list: Default::default(),
        }
    }

    /// Everyone, by name.
    pub fn list(&self) -> Vec<UserEntry> {
        let mut out: Vec<UserEntry> = self
            .list
            .lock()
            .map(|l| l.iter().map(|s| s.user.clone()).collect())
            .unwrap_or_default();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// The person holding `token`, if any (compared as hashes, in
    /// constant time).
    pub fn by_token(&self, token: &str) -> Option<UserEntry> {
        use subtle::ConstantTimeEq;
        let want = digest(token);
        let list = self.list.lock().ok()?;
        list.iter()
            .find(|s| bool::from(s.token_sha256.as_bytes().ct_eq(want.as_bytes())))
            .map(|s| s.user.clone())
    }

    /// Adds a person, written to disk before it answers; returns them and
    /// their new token. Refused: a name taken, empty or too long, or
    /// resources for another role than approver.
    pub fn add(&self, req: UserAdd) -> Result<(UserEntry, String), String> {
        let name = req.name.trim().to_string();
        crdt_model::record::check_person(Some(&name)).map_err(|e| e.to_string())?;
        if !req.resources.is_empty() && req.role != Role::Approver {
            return Err("only an approver is given resources to decide".into());
        }
        if req.role == Role::Approver && req.resources.is_empty() {
            return Err("an approver needs the resources they decide (--resources)".into());
        }
        let mut list = self
            .list
            .lock()
            .map_err(|_| "registry poisoned".to_string())?;
        if list.iter().any(|s| s.user.name == name) {
            return Err(format!("a person named {name} already exists"));
        }
        let token = hex(&random_secret());
        let user = UserEntry {
            name,
            role: req.role,
            resources: req.resources,
        };
        list.push(Stored {
            user: user.clone(),
            token_sha256: digest(&token),
        });
        let bytes = serde_json::to_vec_pretty(&*list).map_err(|e| e.to_string())?;
        if let Err(e) = crate::config::write_atomic(&self.path, &bytes) {
            list.pop();
            return Err(format!("could not save users.json: {e}"));
        }
        Ok((user, token))
    }
}
