//! People of an agency (local accounts): their roles, what an operator
//! sends to add one, and the token it gets back once.

use crdt_model::ids::ResourceId;
use serde::{Deserialize, Serialize};

/// What a person may do through the node's API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Book, see and cancel their own bookings, check in, request trips.
    Staff,
    /// A staff member who also decides requests for chosen resources.
    Approver,
    /// Everything the agency may do: catalogue, members, keys, backups.
    Operator,
}

impl Role {
    /// The role's code (`staff`, `approver`, `operator`).
    pub fn code(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Approver => "approver",
            Role::Operator => "operator",
        }
    }

    /// Bilingual label.
    pub fn text(self) -> crdt_model::agency::Text {
        match self {
            Role::Staff => crdt_model::agency::Text::new("工作人员", "staff"),
            Role::Approver => crdt_model::agency::Text::new("审批人", "approver"),
            Role::Operator => crdt_model::agency::Text::new("管理员", "operator"),
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "staff" | "工作人员" => Ok(Role::Staff),
            "approver" | "审批人" => Ok(Role::Approver),
            "operator" | "管理员" => Ok(Role::Operator),
            other => Err(format!(
                "unknown role {other:?}: staff, approver or operator"
            )),
        }
    }
}

/// A person of this agency, as the node knows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEntry {
    /// Their name (unique in the agency; written into the records they make).
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// For an approver: the resources they decide.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceId>,
}

/// `POST /api/v1/users`: add a person (operators only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAdd {
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// For an approver: the resources they decide.
    #[serde(default)]
    pub resources: Vec<ResourceId>,
}

/// Where a person's token is kept in a node's home: `users/<name>.token`
/// (written by `tongchou user add`, mode 0600); `None` for a name that
/// cannot be a file name.
pub fn token_path(home: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && name.len() <= 64;
    ok.then(|| home.join("users").join(format!("{name}.token")))
}

/// Reads the token of the person `name` from a node's home.
pub fn read_token(home: &std::path::Path, name: &str) -> std::io::Result<String> {
    let path = token_path(home, name).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a person's name")
    })?;
    Ok(std::fs::read_to_string(&path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?
        .trim()
        .to_string())
}

/// The answer to [`UserAdd`]: the person and their API token, shown once
/// (the node keeps only its hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserToken {
    /// The person.
    pub user: UserEntry,
    /// Their bearer token.
    pub token: String,
}
