//! Every route of the local API, once: the server's router and
//! [`Client`](crate::Client) both name them from here.

/// `GET`, without the bearer token: [`Health`](crate::Health), 200 when the
/// node serves and can write, 503 otherwise (for systemd and load checks).
pub const HEALTHZ: &str = "/healthz";
/// `GET`: the node's figures in the Prometheus text format (bookings by
/// status, changes held and refused by reason, peers and their sync lag,
/// store size, API request durations); the same as `status` shows.
pub const METRICS: &str = "/metrics";
/// `GET`: the node's [`Status`](crate::Status).
pub const STATUS: &str = "/api/v1/status";
/// `GET` resources ([`ResourceFilter`](crate::ResourceFilter)); `PUT` one (add or edit).
pub const RESOURCES: &str = "/api/v1/resources";
/// `GET` one resource's full calendar ([`ResourceQuery`](crate::ResourceQuery)).
pub const CALENDAR: &str = "/api/v1/calendar";
/// `GET` bookings ([`BookingFilter`](crate::BookingFilter)); `POST` a request ([`BookRequest`](crate::BookRequest)).
pub const BOOKINGS: &str = "/api/v1/bookings";
/// `GET` one booking ([`BookingQuery`](crate::BookingQuery)).
pub const BOOKING: &str = "/api/v1/booking";
/// `POST` a recurring series ([`SeriesRequest`](crate::SeriesRequest));
/// answers every occurrence. `GET` every occurrence of the series of a
/// booking ([`SeriesQuery`](crdt_model::query::SeriesQuery)).
pub const SERIES: &str = "/api/v1/series";
/// `POST` the cancellation of occurrences of a series
/// ([`SeriesCancelRequest`](crate::SeriesCancelRequest)); answers every
/// occurrence.
pub const SERIES_CANCEL: &str = "/api/v1/series/cancel";
/// `POST` a cancellation ([`CancelRequest`](crate::CancelRequest)).
pub const CANCEL: &str = "/api/v1/cancel";
/// `GET` this agency's people ([`UserEntry`](crate::UserEntry)); `POST`
/// one ([`UserAdd`](crate::UserAdd)), answered with its token
/// ([`UserToken`](crate::UserToken)). Operators only.
pub const USERS: &str = "/api/v1/users";
/// `POST` a check-in ([`CheckInRequest`](crate::CheckInRequest)); answers the booking.
pub const CHECKIN: &str = "/api/v1/checkin";
/// `GET` the holds for events not yet over
/// ([`HoldsQuery`](crdt_model::query::HoldsQuery)); `POST` one
/// ([`HoldRequest`](crate::HoldRequest)). Both answer
/// [`HoldView`](crdt_model::query::HoldView)s.
pub const HOLDS: &str = "/api/v1/holds";
/// `POST` an owner's decision ([`DecideRequest`](crate::DecideRequest)).
pub const DECIDE: &str = "/api/v1/decide";
/// `POST` a free-slot search (`SlotQuery`).
pub const SLOTS: &str = "/api/v1/slots";
/// `GET` the roster.
pub const MEMBERS: &str = "/api/v1/members";
/// `POST` an invitation ([`InviteRequest`](crate::InviteRequest)).
pub const INVITE: &str = "/api/v1/invite";
/// `GET` this agency's invitations, or every admin's ([`InvitesQuery`](crate::InvitesQuery)), as [`InviteEntry`](crate::InviteEntry).
pub const INVITES: &str = "/api/v1/invites";
/// `POST` an invitation's withdrawal ([`WithdrawInviteRequest`](crate::WithdrawInviteRequest)); answers its [`InviteEntry`](crate::InviteEntry).
pub const WITHDRAW_INVITE: &str = "/api/v1/invites/withdraw";
/// `POST` a revocation ([`RevokeRequest`](crate::RevokeRequest)).
pub const REVOKE: &str = "/api/v1/revoke";
/// `POST` a block or unblock of a member on this node
/// ([`BlockRequest`](crate::BlockRequest)); answers every member blocked,
/// as [`BlockedPeer`](crate::BlockedPeer).
pub const BLOCK: &str = "/api/v1/block";
/// `POST` a free/busy question about owners not followed
/// ([`BusyRequest`](crate::BusyRequest)); answers [`BusyAnswer`](crate::BusyAnswer).
pub const BUSY: &str = "/api/v1/busy";
/// `GET` what this node follows, `POST` a change of it.
pub const FOLLOWS: &str = "/api/v1/follows";
/// `POST`: rotate this agency's key.
pub const ROTATE_KEY: &str = "/api/v1/rotate-key";
/// `GET`: server-sent events, one per change the node applies.
pub const EVENTS: &str = "/api/v1/events";
/// `GET` trips ([`TripFilter`](crdt_model::trip::TripFilter)); `POST` a trip
/// request ([`TripDraft`](crdt_model::engine::TripDraft)).
pub const TRIPS: &str = "/api/v1/trips";
/// `POST` a fleet owner's step in a trip ([`TripStep`](crate::TripStep)).
pub const TRIP_STEP: &str = "/api/v1/trips/step";
/// `POST` the cancellation of one of this agency's trips ([`CancelRequest`](crate::CancelRequest)).
pub const TRIP_CANCEL: &str = "/api/v1/trips/cancel";
/// `GET` loans of warehouse assets ([`LoanFilter`](crdt_model::asset::LoanFilter)).
pub const LOANS: &str = "/api/v1/loans";
/// `POST` a step in a warehouse asset's life ([`AssetOp`](crdt_model::engine::AssetOp)):
/// handover, receipt, return, repair, disposal, transfer offer and answer,
/// inventory count; answers the loan, the asset's units or the offer
/// ([`LocalOutcome`](crdt_model::engine::LocalOutcome)).
pub const ASSET_STEP: &str = "/api/v1/assets/step";
/// `GET` transfer offers ([`TransferFilter`](crdt_model::asset::TransferFilter)).
pub const TRANSFERS: &str = "/api/v1/transfers";
/// `GET` the warehouse inventory ([`InventoryQuery`](crdt_model::asset::InventoryQuery)).
pub const INVENTORY: &str = "/api/v1/inventory";
/// `GET` a utilisation report ([`ReportQuery`](crdt_model::report::ReportQuery)),
/// answered as a [`Report`](crdt_model::report::Report).
pub const REPORT: &str = "/api/v1/report";
/// `GET` the webhooks ([`WebhookEntry`](crate::WebhookEntry)); `POST` one
/// ([`WebhookAdd`](crate::WebhookAdd)).
pub const WEBHOOKS: &str = "/api/v1/webhooks";
/// `POST` a webhook's removal ([`WebhookRemove`](crate::WebhookRemove)).
pub const WEBHOOK_REMOVE: &str = "/api/v1/webhooks/remove";
/// `GET` an iCalendar feed ([`IcsQuery`](crate::IcsQuery)).
pub const ICS: &str = "/api/v1/ics";
/// `POST` a backup of the home, written by the node to a file
/// ([`BackupRequest`](crate::BackupRequest)); answers a [`BackupReport`](crate::BackupReport).
pub const BACKUP: &str = "/api/v1/backup";
