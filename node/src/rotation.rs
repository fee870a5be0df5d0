//! Key rotation, the whole sequence in one place. An agency replaces its
//! signing key (and so its network identity) while keeping its id:
//!
//! 1. [`rotate`] creates the next key in `agency.key.next` (0600), beside
//!    the current one.
//! 2. The actor has the engine sign a `rotate_key` roster event with the
//!    current key, naming the next one and this agency's change count per
//!    document (`actor/commands.rs`), and stores it.
//! 3. The group commit flushes it before anything is acknowledged, then
//!    restarts the network under the new identity (`actor/commit.rs`,
//!    `restart_network`); peers learn the rotation in the join handshake
//!    when they reconnect (`actor/join.rs`).
//! 4. Only then does [`rotate`] make the next key the agency key (rename,
//!    then sync the directory).
//!
//! A crash between 1 and 4 is settled at the next start ([`settle`]): the
//! next key wins if the stored roster already names it, else it is
//! discarded. The rules the roster applies to rotations are in
//! `crdt-model/src/membership/roster.rs`.

use anyhow::Context;
use api::RotateKeyResponse;
use crdt_model::agency::AgencyKey;
use crdt_model::engine::LocalError;
use crdt_model::membership::Roster;

use crate::actor::NodeHandle;
use crate::config::Home;

/// Why a rotation failed; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    /// The next key could not be written or made the agency key.
    #[error("{0:#}")]
    Storage(anyhow::Error),
    /// The node refused it (not an active member, store failing, shutting down).
    #[error(transparent)]
    Refused(#[from] LocalError),
    /// The node is shutting down.
    #[error("node is shutting down")]
    Gone,
}

/// Rotates the agency key of the node running on `home` (steps 1 to 4).
pub async fn rotate(home: &Home, node: &NodeHandle) -> Result<RotateKeyResponse, RotationError> {
    let (agency, old_key) = node
        .read(|v| (v.engine.id(), v.engine.key().public()))
        .await
        .ok_or(RotationError::Gone)?;
    let next = create_next(home).map_err(RotationError::Storage)?;
    match node.rotate_key(next).await {
        Ok(new_key) => {
            promote_next(home).map_err(RotationError::Storage)?;
            Ok(RotateKeyResponse {
                agency,
                old_key,
                new_key,
            })
        }
        Err(e) => {
            discard_next(home);
            Err(e.into())
        }
    }
}

/// Creates the key a rotation will switch to, in its own 0600 file
/// beside the current one (replacing a leftover from a failed rotation).
fn create_next(home: &Home) -> anyhow::Result<AgencyKey> {
    let path = home.next_key_path();
    let _ = std::fs::remove_file(&path);
    home.create_key_at(&path)
}

/// Makes the next key the agency key (once the rotation is durable).
fn promote_next(home: &Home) -> anyhow::Result<()> {
    std::fs::rename(home.next_key_path(), home.agency_key_path())
        .context("replacing the agency key")?;
    std::fs::File::open(home.dir())
        .and_then(|d| d.sync_all())
        .context("syncing the home directory")
}

/// Removes the next key of a rotation that did not happen.
fn discard_next(home: &Home) {
    let _ = std::fs::remove_file(home.next_key_path());
}

/// Finishes a rotation interrupted by a crash: if the roster already names
/// the next key as this agency's key, it becomes the agency key; otherwise
/// it is discarded. Returns the key to run with.
pub fn settle(home: &Home, key: AgencyKey, roster: &Roster) -> anyhow::Result<AgencyKey> {
    if !home.next_key_path().exists() {
        return Ok(key);
    }
    let next = home.load_key_from(&home.next_key_path())?;
    if roster.agency_of_key(&next.public()).is_some() {
        promote_next(home)?;
        tracing::info!(key = %next.public().short(), "finished an interrupted key rotation");
        Ok(next)
    } else {
        discard_next(home);
        Ok(key)
    }
}
