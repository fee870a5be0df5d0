//! # bootstrap
//!
//! How a Tongchou network comes into being and changes membership, with no
//! central server and no certificate authority beyond the members:
//!
//! - [`genesis`]: a founding agency creates the network and its signed roster.
//! - [`invite`]: an admin issues a one-time, expiring invitation token; the
//!   new agency claims it with its own key; any member can verify the claim
//!   offline, without the inviting admin.
//! - [`peer`]: the bootstrap peer, a node that holds no agency data and only
//!   lets member nodes in different cities find each other (libp2p
//!   rendezvous), and the namespace members register under.
//!
//! The roster rules themselves (who counts as member or admin, revocation
//! cutoffs, one use per invitation) are document rules and live in
//! [`crdt_model::membership`]; this crate runs the ceremonies.
#![deny(missing_docs)]

pub mod genesis;
pub mod invite;
pub mod peer;
