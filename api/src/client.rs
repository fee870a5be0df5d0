//! The one typed client of a node's local API: a method per route, errors
//! that keep the node's code and the rule that failed.

use std::time::Duration;

use crdt_model::availability::{Candidate, SlotQuery};
use crdt_model::calendar::{Booking, ResourceCalendar};
use crdt_model::ids::{BookingId, ResourceId};
use crdt_model::resource::{Resource, RuleViolation};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::routes;
use crate::types::*;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No node answers at the address (not running, or not yet).
    #[error("no node answers at {addr}: {source}")]
    Unreachable {
        /// The address tried.
        addr: String,
        /// What the connection said.
        #[source]
        source: reqwest::Error,
    },
    /// The node refused the call and said why.
    #[error("{} ({})", .error.message, .error.code)]
    Refused {
        /// HTTP status.
        status: u16,
        /// The node's error body.
        error: ApiError,
    },
    /// The node answered an error without a readable body.
    #[error("the node answered HTTP {0}")]
    Status(u16),
    /// The connection broke during the call.
    #[error("talking to the node: {0}")]
    Transport(#[source] reqwest::Error),
    /// The answer is not what this route returns.
    #[error("decoding the node's answer: {0}")]
    Decode(String),
}

impl Error {
    /// The node's stable error code, when it refused the call.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Refused { error, .. } => Some(&error.code),
            _ => None,
        }
    }

    /// The booking rule that refused the call, if that was the reason.
    pub fn rule(&self) -> Option<&RuleViolation> {
        match self {
            Error::Refused { error, .. } => error.rule.as_ref(),
            _ => None,
        }
    }

    /// Whether no node answered at all.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Error::Unreachable { .. })
    }
}

/// A client of one node's API.
#[derive(Clone, Debug)]
pub struct Client {
    base: String,
    addr: String,
    token: String,
    http: reqwest::Client,
    stream: reqwest::Client,
}

/// A node's event stream: one item per change the node applied.
#[derive(Debug)]
pub struct Events {
    resp: reqwest::Response,
}

impl Events {
    /// Waits for the next chunk of the stream: `Ok(true)` when it carried
    /// at least one event (keep-alives carry none), `Ok(false)` at its end.
    pub async fn next(&mut self) -> Result<bool, Error> {
        loop {
            match self.resp.chunk().await.map_err(Error::Transport)? {
                None => return Ok(false),
                Some(chunk) if chunk.windows(5).any(|w| w == b"data:") => return Ok(true),
                Some(_) => continue,
            }
        }
    }
}

impl Client {
    /// A client of the node whose `api.json` says `info`.
    pub fn new(info: &ApiInfo) -> Result<Self, Error> {
        Self::connect(&info.addr, &info.token)
    }

    /// A client of the API at `addr` (`127.0.0.1:PORT`) with `token`.
    pub fn connect(addr: &str, token: &str) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(60))
            .no_proxy()
            .build()
            .map_err(Error::Transport)?;
        let stream = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .no_proxy()
            .build()
            .map_err(Error::Transport)?;
        Ok(Self {
            base: format!("http://{addr}"),
            addr: addr.to_string(),
            token: token.to_string(),
            http,
            stream,
        })
    }

    /// The same client pointed at another address and token (a restarted
    /// node has both new), keeping its connection pools.
    pub fn rebind(&self, addr: &str, token: &str) -> Self {
        Self {
            base: format!("http://{addr}"),
            addr: addr.to_string(),
            token: token.to_string(),
            http: self.http.clone(),
            stream: self.stream.clone(),
        }
    }

    /// The address it talks to.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The token it sends.
    pub fn token(&self) -> &str {
        &self.token
    }

    async fn call(&self, req: reqwest::RequestBuilder) -> Result<Vec<u8>, Error> {
        let resp = req.bearer_auth(&self.token).send().await.map_err(|e| {
            if e.is_connect() || e.is_timeout() {
                Error::Unreachable {
                    addr: self.addr.clone(),
                    source: e,
                }
            } else {
                Error::Transport(e)
            }
        })?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(Error::Transport)?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        match serde_json::from_slice::<ApiError>(&bytes) {
            Ok(error) => Err(Error::Refused {
                status: status.as_u16(),
                error,
            }),
            Err(_) => Err(Error::Status(status.as_u16())),
        }
    }

    async fn json<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T, Error> {
        let bytes = self.call(req).await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode(e.to_string()))
    }

    async fn get<Q: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        route: &str,
        query: &Q,
    ) -> Result<T, Error> {
        self.json(self.http.get(format!("{}{route}", self.base)).query(query))
            .await
    }

    async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        route: &str,
        body: &B,
    ) -> Result<T, Error> {
        self.json(self.http.post(format!("{}{route}", self.base)).json(body))
            .await
    }

    /// The node's health (no token needed); a 503 answer is still read as
    /// a [`Health`] with `ok` false.
    pub async fn health(&self) -> Result<Health, Error> {
        match self.get(routes::HEALTHZ, &()).await {
            Err(Error::Refused { status: 503, error }) => Ok(Health {
                ok: false,
                reason: Some(error.code),
                peers: 0,
            }),
            other => other,
        }
    }

    /// The node's status.
    pub async fn status(&self) -> Result<Status, Error> {
        self.get(routes::STATUS, &()).await
    }

    /// Resources of the catalogue matching `filter`.
    pub async fn resources(&self, filter: &ResourceFilter) -> Result<Vec<Resource>, Error> {
        self.get(routes::RESOURCES, filter).await
    }

    /// Adds or edits one of this agency's resources; the stored resource.
    pub async fn put_resource(&self, r: &Resource) -> Result<Resource, Error> {
        self.json(
            self.http
                .put(format!("{}{}", self.base, routes::RESOURCES))
                .json(r),
        )
        .await
    }

    /// One resource's full calendar.
    pub async fn calendar(&self, resource: &ResourceId) -> Result<ResourceCalendar, Error> {
        let q = ResourceQuery {
            resource: resource.clone(),
        };
        self.get(routes::CALENDAR, &q).await
    }

    /// Bookings matching `filter`, by start.
    pub async fn bookings(&self, filter: &BookingFilter) -> Result<Vec<Booking>, Error> {
        self.get(routes::BOOKINGS, filter).await
    }

    /// One booking as it stands now.
    pub async fn booking(&self, id: &BookingId) -> Result<Booking, Error> {
        self.get(routes::BOOKING, &BookingQuery { id: id.clone() })
            .await
    }

    /// Requests a booking; acknowledged only once stored.
    pub async fn book(&self, r: &BookRequest) -> Result<Booking, Error> {
        self.post(routes::BOOKINGS, r).await
    }

    /// Cancels one of this agency's requests.
    pub async fn cancel(&self, r: &CancelRequest) -> Result<Booking, Error> {
        self.post(routes::CANCEL, r).await
    }

    /// This agency's people.
    pub async fn users(&self) -> Result<Vec<crate::UserEntry>, Error> {
        self.get(routes::USERS, &()).await
    }

    /// Adds a person; answers their token (shown once).
    pub async fn add_user(&self, r: &crate::UserAdd) -> Result<crate::UserToken, Error> {
        self.post(routes::USERS, r).await
    }

    /// Checks in to one of this agency's confirmed bookings.
    pub async fn checkin(&self, r: &CheckInRequest) -> Result<Booking, Error> {
        self.post(routes::CHECKIN, r).await
    }

    /// Holds resources of this agency for an event or emergency; answers
    /// this agency's holds not yet over.
    pub async fn hold(&self, r: &HoldRequest) -> Result<Vec<crdt_model::query::HoldView>, Error> {
        self.post(routes::HOLDS, r).await
    }

    /// The holds for events not yet over.
    pub async fn holds(
        &self,
        q: &crdt_model::query::HoldsQuery,
    ) -> Result<Vec<crdt_model::query::HoldView>, Error> {
        self.get(routes::HOLDS, q).await
    }

    /// Trips matching `filter`.
    pub async fn trips(
        &self,
        filter: &crdt_model::trip::TripFilter,
    ) -> Result<Vec<crdt_model::trip::Trip>, Error> {
        self.get(routes::TRIPS, filter).await
    }

    /// Asks a fleet's owner for a vehicle; the trip as it stands.
    pub async fn request_trip(
        &self,
        d: &crdt_model::engine::TripDraft,
    ) -> Result<crdt_model::trip::Trip, Error> {
        self.post(routes::TRIPS, d).await
    }

    /// The fleet owner's step in a trip (dispatch, reject, start, finish).
    pub async fn trip_step(&self, s: &TripStep) -> Result<crdt_model::trip::Trip, Error> {
        self.post(routes::TRIP_STEP, s).await
    }

    /// Cancels one of this agency's trips.
    pub async fn cancel_trip(&self, r: &CancelRequest) -> Result<crdt_model::trip::Trip, Error> {
        self.post(routes::TRIP_CANCEL, r).await
    }

    /// Loans of warehouse assets matching `filter`.
    pub async fn loans(
        &self,
        filter: &crdt_model::asset::LoanFilter,
    ) -> Result<Vec<crdt_model::asset::Loan>, Error> {
        self.get(routes::LOANS, filter).await
    }

    /// A step in a warehouse asset's life; the loan, the asset's units or
    /// the offer as they stand after it.
    pub async fn asset_step(
        &self,
        op: &crdt_model::engine::AssetOp,
    ) -> Result<crdt_model::engine::LocalOutcome, Error> {
        self.post(routes::ASSET_STEP, op).await
    }

    /// Transfer offers matching `filter`.
    pub async fn transfers(
        &self,
        filter: &crdt_model::asset::TransferFilter,
    ) -> Result<Vec<crdt_model::asset::TransferView>, Error> {
        self.get(routes::TRANSFERS, filter).await
    }

    /// The warehouse inventory matching `q`.
    pub async fn inventory(
        &self,
        q: &crdt_model::asset::InventoryQuery,
    ) -> Result<Vec<crdt_model::asset::InventoryRow>, Error> {
        self.get(routes::INVENTORY, q).await
    }

    /// The webhooks and their deliveries.
    pub async fn webhooks(&self) -> Result<Vec<WebhookEntry>, Error> {
        self.get(routes::WEBHOOKS, &()).await
    }

    /// Registers a webhook.
    pub async fn add_webhook(&self, a: &WebhookAdd) -> Result<WebhookEntry, Error> {
        self.post(routes::WEBHOOKS, a).await
    }

    /// Removes a webhook; answers the ones left.
    pub async fn remove_webhook(&self, id: u32) -> Result<Vec<WebhookEntry>, Error> {
        self.post(routes::WEBHOOK_REMOVE, &WebhookRemove { id })
            .await
    }

    /// A utilisation report over a period.
    pub async fn report(
        &self,
        q: &crdt_model::report::ReportQuery,
    ) -> Result<crdt_model::report::Report, Error> {
        self.get(routes::REPORT, q).await
    }

    /// Approves or rejects a request for one of this agency's resources.
    pub async fn decide(&self, r: &DecideRequest) -> Result<Booking, Error> {
        self.post(routes::DECIDE, r).await
    }

    /// Free slots matching `q`, best first.
    pub async fn slots(&self, q: &SlotQuery) -> Result<Vec<Candidate>, Error> {
        self.post(routes::SLOTS, q).await
    }

    /// The roster.
    pub async fn members(&self) -> Result<Vec<MemberEntry>, Error> {
        self.get(routes::MEMBERS, &()).await
    }

    /// Invites an agency (admins only); the one-line token.
    pub async fn invite(&self, r: &InviteRequest) -> Result<InviteResponse, Error> {
        self.post(routes::INVITE, r).await
    }

    /// This agency's invitations (every admin's with `q.all`), oldest
    /// first, with where each stands.
    pub async fn invites(&self, q: &InvitesQuery) -> Result<Vec<InviteEntry>, Error> {
        self.get(routes::INVITES, q).await
    }

    /// Withdraws an unused invitation (admins only): its token admits
    /// nobody from now on.
    pub async fn withdraw_invite(&self, r: &WithdrawInviteRequest) -> Result<InviteEntry, Error> {
        self.post(routes::WITHDRAW_INVITE, r).await
    }

    /// Revokes a member (admins only).
    pub async fn revoke(&self, r: &RevokeRequest) -> Result<RevokeResponse, Error> {
        self.post(routes::REVOKE, r).await
    }

    /// Requests a recurring series; answers every occurrence (each decided
    /// on its own by the owner).
    pub async fn book_series(&self, r: &SeriesRequest) -> Result<Vec<Booking>, Error> {
        self.post(routes::SERIES, r).await
    }

    /// Every occurrence of the series a booking belongs to, as it stands.
    pub async fn series(&self, id: &BookingId) -> Result<Vec<Booking>, Error> {
        let q = crdt_model::query::SeriesQuery { id: id.clone() };
        self.get(routes::SERIES, &q).await
    }

    /// Cancels occurrences of a recurring series; answers every occurrence.
    pub async fn cancel_series(&self, r: &SeriesCancelRequest) -> Result<Vec<Booking>, Error> {
        self.post(routes::SERIES_CANCEL, r).await
    }

    /// Blocks (or unblocks) all traffic with a member on this node;
    /// answers every member blocked now.
    pub async fn block(&self, r: &BlockRequest) -> Result<Vec<BlockedPeer>, Error> {
        self.post(routes::BLOCK, r).await
    }

    /// What this node follows, and the owners it holds.
    pub async fn follows(&self) -> Result<crate::FollowsView, Error> {
        self.get(routes::FOLLOWS, &()).await
    }

    /// Follows (or stops following) owners, cities or kinds; answers what
    /// the node follows afterwards.
    pub async fn follow(&self, r: &crate::FollowRequest) -> Result<crate::FollowsView, Error> {
        self.post(routes::FOLLOWS, r).await
    }

    /// The free/busy of owners not followed: the node fetches what it
    /// lacks from the owner or a peer following it, and answers once the
    /// answers arrive or `r.wait_ms` passes.
    pub async fn busy(&self, r: &crate::BusyRequest) -> Result<crate::BusyAnswer, Error> {
        self.post(routes::BUSY, r).await
    }

    /// Rotates this agency's signing key.
    pub async fn rotate_key(&self) -> Result<RotateKeyResponse, Error> {
        self.post(routes::ROTATE_KEY, &serde_json::json!({})).await
    }

    /// Has the node write a backup of its home to `r.path` (a consistent
    /// snapshot: every write acknowledged before the call is in it). No
    /// overall timeout: a big store takes its time.
    pub async fn backup(&self, r: &BackupRequest) -> Result<BackupReport, Error> {
        self.json(
            self.stream
                .post(format!("{}{}", self.base, routes::BACKUP))
                .json(r),
        )
        .await
    }

    /// An iCalendar feed (RFC 5545 text).
    pub async fn ics(&self, q: &IcsQuery) -> Result<String, Error> {
        let bytes = self
            .call(
                self.http
                    .get(format!("{}{}", self.base, routes::ICS))
                    .query(q),
            )
            .await?;
        String::from_utf8(bytes).map_err(|e| Error::Decode(e.to_string()))
    }

    /// Opens the node's event stream.
    pub async fn events(&self) -> Result<Events, Error> {
        let resp = self
            .stream
            .get(format!("{}{}", self.base, routes::EVENTS))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| Error::Unreachable {
                addr: self.addr.clone(),
                source: e,
            })?;
        if !resp.status().is_success() {
            return Err(Error::Status(resp.status().as_u16()));
        }
        Ok(Events { resp })
    }
}
