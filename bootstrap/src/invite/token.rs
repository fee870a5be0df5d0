//! The invitation token's text, version 2 (`tcinv2.`): a compact binary
//! encoding in base64url, short enough to paste in a chat message or the
//! TUI's invite box (about 550 characters with one bootstrap address).
//!
//! A roster event's signature covers the exact JSON bytes of its body, and
//! that JSON is a deterministic function of the event's fields
//! (`serde_json::to_vec(&RosterEvent)`). So the token carries the fields of
//! the genesis and of the invite, not their JSON, and the reader rebuilds
//! the bodies and checks the signatures: a field changed in transit makes a
//! signature fail. What can be derived is not carried at all: the invite's
//! network is the genesis id, its `invitation` is the public key of the
//! one-time secret, its signer is the founder unless said otherwise. The
//! bootstrap addresses are hints and not signed: whoever answers there must
//! still prove a member's key.
//!
//! Layout (integers are LEB128 varints, signed ones zigzag; `str` and
//! `bytes` are a varint length then the bytes):
//!
//! ```text
//! secret      [32]
//! genesis     event: 0 = fields: by [32], hlc, name str, profile id
//!                    (0 = by | 1 [32]), name.zh, name.en, city.zh, city.en
//!                    str, sig [64]; 1 = raw: body bytes, sig [64]
//! chain       varint count, each body bytes, sig [64] (the events that made
//!             a non-founder admin an admin, the admin's key rotations: such
//!             tokens are longer, some 500 characters per event)
//! invite      event: 0 = fields: by (0 = founder | 1 [32]), signing key
//!                    (0 = by | 1 [32]), hlc, name str, role u8 (0 admin,
//!                    1 member), expires_ms - hlc.wall_ms (signed), sig [64];
//!                    1 = raw: body bytes, sig [64]
//! bootstrap   varint count, each 0 = binary multiaddr bytes | 1 = text str
//! ```
//!
//! `hlc` is `wall_ms` (signed) then `counter`. An event is written raw only
//! when rebuilding it from its fields would not give back its exact bytes
//! (an event of another version), so every token decodes.

use crdt_model::agency::{AgencyKey, AgencyProfile, Text};
use crdt_model::hlc::Hlc;
use crdt_model::ids::AgencyId;
use crdt_model::membership::{Role, RosterAction, RosterEvent, SignedRosterEvent};

use super::{Invitation, InviteError};

/// The prefix of the current format.
pub(super) const PREFIX: &str = "tcinv2.";
/// The prefix of the first format (JSON), refused with a clear message.
pub(super) const OLD_PREFIX: &str = "tcinv1.";

/// Writes the binary form of `inv`.
pub(super) fn encode(inv: &Invitation) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(512));
    w.raw(&inv.secret);
    // The genesis first, whatever order the chain was collected in.
    let genesis = inv.roster.iter().find(|e| {
        e.open()
            .is_ok_and(|ev| matches!(ev.action, RosterAction::Genesis { .. }))
    });
    let founder = genesis.and_then(|g| g.open().ok()).map(|g| g.by);
    match genesis {
        Some(genesis) => {
            write_genesis(&mut w, genesis);
            let chain: Vec<&SignedRosterEvent> =
                inv.roster.iter().filter(|e| *e != genesis).collect();
            w.varint(chain.len() as u64);
            for e in chain {
                w.bytes(&e.body);
                w.raw(&e.sig);
            }
        }
        None => {
            // Not issued by `Invitation::issue`; the reader refuses it.
            w.u8(1);
            w.bytes(&[]);
            w.raw(&[0; 64]);
            w.varint(0);
        }
    }
    write_invite(&mut w, &inv.invite, founder, &inv.secret);
    w.varint(inv.bootstrap.len() as u64);
    for a in &inv.bootstrap {
        match a.parse::<libp2p::Multiaddr>() {
            Ok(ma) if ma.to_string() == *a => {
                w.u8(0);
                w.bytes(&ma.to_vec());
            }
            _ => {
                w.u8(1);
                w.str(a);
            }
        }
    }
    w.0
}

/// Reads the binary form. Signatures are not checked here (the caller
/// checks the invitation as a whole).
pub(super) fn decode(bytes: &[u8]) -> Result<Invitation, InviteError> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let secret: [u8; 32] = r.array()?;
    let genesis = read_genesis(&mut r)?;
    let founder = genesis.open().map_err(|_| InviteError::Tampered)?.by;
    let network = genesis.id();
    let mut roster = vec![genesis];
    let chain = r.varint()?;
    for _ in 0..chain {
        let body = r.bytes()?.to_vec();
        let sig = r.array()?;
        roster.push(SignedRosterEvent { body, sig });
    }
    let invite = read_invite(&mut r, &network, founder, &secret)?;
    let n = r.varint()?;
    let mut bootstrap = Vec::new();
    for _ in 0..n {
        let addr = match r.u8()? {
            0 => libp2p::Multiaddr::try_from(r.bytes()?.to_vec())
                .map_err(|_| InviteError::Malformed)?
                .to_string(),
            1 => r.str()?,
            _ => return Err(InviteError::Malformed),
        };
        bootstrap.push(addr);
    }
    r.end()?;
    Ok(Invitation {
        network,
        roster,
        invite,
        secret,
        bootstrap,
    })
}

fn write_genesis(w: &mut Writer, genesis: &SignedRosterEvent) {
    if let Ok(ev) = genesis.open()
        && let RosterAction::Genesis { name, profile } = &ev.action
        && ev.signing_key.is_none()
        && ev.network.is_empty()
        && rebuilt(&ev) == genesis.body
    {
        w.u8(0);
        w.raw(ev.by.as_bytes());
        w.hlc(ev.hlc);
        w.str(name);
        w.id_or(&profile.id, &ev.by);
        for t in [
            &profile.name.zh,
            &profile.name.en,
            &profile.city.zh,
            &profile.city.en,
        ] {
            w.str(t);
        }
        w.raw(&genesis.sig);
    } else {
        w.u8(1);
        w.bytes(&genesis.body);
        w.raw(&genesis.sig);
    }
}

fn read_genesis(r: &mut Reader<'_>) -> Result<SignedRosterEvent, InviteError> {
    match r.u8()? {
        0 => {
            let by = AgencyId(r.array()?);
            let hlc = r.hlc()?;
            let name = r.str()?;
            let id = r.id_or(by)?;
            let (zh, en, czh, cen) = (r.str()?, r.str()?, r.str()?, r.str()?);
            let ev = RosterEvent {
                network: String::new(),
                by,
                signing_key: None,
                hlc,
                action: RosterAction::Genesis {
                    name,
                    profile: AgencyProfile {
                        id,
                        name: Text::new(zh, en),
                        city: Text::new(czh, cen),
                    },
                },
            };
            Ok(SignedRosterEvent {
                body: rebuilt(&ev),
                sig: r.array()?,
            })
        }
        1 => raw_event(r),
        _ => Err(InviteError::Malformed),
    }
}

fn write_invite(
    w: &mut Writer,
    invite: &SignedRosterEvent,
    founder: Option<AgencyId>,
    secret: &[u8; 32],
) {
    let one_time = AgencyKey::from_secret(secret).id();
    if let Ok(ev) = invite.open()
        && let RosterAction::Invite {
            invitation,
            name,
            role,
            expires_ms,
        } = &ev.action
        && *invitation == one_time
        && rebuilt(&ev) == invite.body
    {
        w.u8(0);
        match founder {
            Some(f) if f == ev.by => w.u8(0),
            _ => {
                w.u8(1);
                w.raw(ev.by.as_bytes());
            }
        }
        match ev.signing_key {
            None => w.u8(0),
            Some(k) => {
                w.u8(1);
                w.raw(k.as_bytes());
            }
        }
        w.hlc(ev.hlc);
        w.str(name);
        w.u8(match role {
            Role::Admin => 0,
            Role::Member => 1,
        });
        w.signed(expires_ms.wrapping_sub(ev.hlc.wall_ms));
        w.raw(&invite.sig);
    } else {
        w.u8(1);
        w.bytes(&invite.body);
        w.raw(&invite.sig);
    }
}

fn read_invite(
    r: &mut Reader<'_>,
    network: &str,
    founder: AgencyId,
    secret: &[u8; 32],
) -> Result<SignedRosterEvent, InviteError> {
    match r.u8()? {
        0 => {
            let by = match r.u8()? {
                0 => founder,
                1 => AgencyId(r.array()?),
                _ => return Err(InviteError::Malformed),
            };
            let signing_key = match r.u8()? {
                0 => None,
                1 => Some(AgencyId(r.array()?)),
                _ => return Err(InviteError::Malformed),
            };
            let hlc = r.hlc()?;
            let name = r.str()?;
            let role = match r.u8()? {
                0 => Role::Admin,
                1 => Role::Member,
                _ => return Err(InviteError::Malformed),
            };
            let expires_ms = hlc.wall_ms.wrapping_add(r.signed()?);
            let ev = RosterEvent {
                network: network.to_string(),
                by,
                signing_key,
                hlc,
                action: RosterAction::Invite {
                    invitation: AgencyKey::from_secret(secret).id(),
                    name,
                    role,
                    expires_ms,
                },
            };
            Ok(SignedRosterEvent {
                body: rebuilt(&ev),
                sig: r.array()?,
            })
        }
        1 => raw_event(r),
        _ => Err(InviteError::Malformed),
    }
}

fn raw_event(r: &mut Reader<'_>) -> Result<SignedRosterEvent, InviteError> {
    let body = r.bytes()?.to_vec();
    Ok(SignedRosterEvent {
        body,
        sig: r.array()?,
    })
}

/// The exact bytes an event's signature covers.
fn rebuilt(ev: &RosterEvent) -> Vec<u8> {
    serde_json::to_vec(ev).expect("roster events always serialise")
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, b: u8) {
        self.0.push(b);
    }
    fn raw(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    fn varint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }
    fn signed(&mut self, n: i64) {
        self.varint(((n << 1) ^ (n >> 63)) as u64);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.raw(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn hlc(&mut self, h: Hlc) {
        self.signed(h.wall_ms);
        self.varint(u64::from(h.counter));
    }
    /// `id` as 0 when it is `same`, else 1 and its bytes.
    fn id_or(&mut self, id: &AgencyId, same: &AgencyId) {
        if id == same {
            self.u8(0);
        } else {
            self.u8(1);
            self.raw(id.as_bytes());
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], InviteError> {
        let end = self.pos.checked_add(n).ok_or(InviteError::Malformed)?;
        let out = self.buf.get(self.pos..end).ok_or(InviteError::Malformed)?;
        self.pos = end;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, InviteError> {
        Ok(self.take(1)?[0])
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], InviteError> {
        self.take(N)?.try_into().map_err(|_| InviteError::Malformed)
    }
    fn varint(&mut self) -> Result<u64, InviteError> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(InviteError::Malformed)
    }
    fn signed(&mut self) -> Result<i64, InviteError> {
        let n = self.varint()?;
        Ok(((n >> 1) as i64) ^ -((n & 1) as i64))
    }
    fn bytes(&mut self) -> Result<&'a [u8], InviteError> {
        let n = usize::try_from(self.varint()?).map_err(|_| InviteError::Malformed)?;
        self.take(n)
    }
    fn str(&mut self) -> Result<String, InviteError> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| InviteError::Malformed)
    }
    fn hlc(&mut self) -> Result<Hlc, InviteError> {
        let wall_ms = self.signed()?;
        let counter = u32::try_from(self.varint()?).map_err(|_| InviteError::Malformed)?;
        Ok(Hlc { wall_ms, counter })
    }
    fn id_or(&mut self, same: AgencyId) -> Result<AgencyId, InviteError> {
        match self.u8()? {
            0 => Ok(same),
            1 => Ok(AgencyId(self.array()?)),
            _ => Err(InviteError::Malformed),
        }
    }
    /// Nothing may follow the last field.
    fn end(&self) -> Result<(), InviteError> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(InviteError::Malformed)
        }
    }
}
