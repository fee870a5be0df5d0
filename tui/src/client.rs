//! The TUI's side of the node's HTTP API: a background fetcher (on start,
//! on every event of the node's event stream, every few seconds, and on
//! demand), the event-stream reader, and the runner of effects. Everything
//! comes back to the main loop as an [`Action`].

use crdt_model::agency::Text;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api::{ApiInfo, BookingFilter, Client, ResourceFilter};
use crdt_model::asset::{InventoryQuery, LoanFilter, TransferFilter};
use tokio::sync::{Notify, mpsc};

use crate::action::{Action, Effect, Failure};
use crate::app::Data;
use crate::i18n;

/// Finds the node's API (again on every reconnect: a restarted node has a
/// new port and token).
pub type Connect = Arc<dyn Fn() -> anyhow::Result<ApiInfo> + Send + Sync>;

/// The TUI's handle on the node: an [`api::Client`] for the address
/// `connect` gives now.
#[derive(Clone)]
pub struct Api {
    connect: Connect,
    client: Arc<Mutex<Option<Client>>>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").finish_non_exhaustive()
    }
}

impl Api {
    /// A handle finding its node with `connect`.
    pub fn new(connect: Connect) -> anyhow::Result<Self> {
        Ok(Self {
            connect,
            client: Arc::new(Mutex::new(None)),
        })
    }

    /// The client for the node's current address and token.
    fn client(&self) -> Result<Client, Failure> {
        let info = (self.connect)().map_err(|e| Failure {
            message: Text::new(format!("找不到节点的本地接口：{e:#}"), format!("{e:#}")),
            rule: None,
        })?;
        let mut cached = self.client.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = match cached.as_ref() {
            Some(c) if c.addr() == info.addr && c.token() == info.token => c.clone(),
            Some(c) => c.rebind(&info.addr, &info.token),
            None => Client::new(&info).map_err(Failure::from)?,
        };
        *cached = Some(fresh.clone());
        Ok(fresh)
    }

    /// Everything the screens show.
    pub async fn fetch(&self) -> Result<Data, Failure> {
        let c = self.client()?;
        let status = c.status().await?;
        let me = status.agency;
        // Loans of our assets still open, and ours (returned ones too).
        let mut loans = c
            .loans(&LoanFilter {
                lent: true,
                open: true,
                ..Default::default()
            })
            .await?;
        let mine = c
            .loans(&LoanFilter {
                mine: true,
                ..Default::default()
            })
            .await?;
        loans.extend(mine);
        // A loan of our own asset to ourselves comes in both: keep one.
        loans.sort_by(|a, b| (a.end, &a.booking).cmp(&(b.end, &b.booking)));
        loans.dedup_by(|a, b| a.booking == b.booking);
        let resources = c.resources(&ResourceFilter::default()).await?;
        let followed = c.follows().await?.owners.map(|o| {
            o.into_iter()
                .map(|f| f.agency)
                .collect::<std::collections::BTreeSet<_>>()
        });
        let busy = match &followed {
            Some(f) => busy_of_others(&c, &resources, f, me).await,
            None => Vec::new(),
        };
        Ok(Data {
            status: Some(status),
            resources,
            followed,
            busy,
            bookings: c.bookings(&BookingFilter::default()).await?,
            members: c.members().await?,
            trips: c.trips(&Default::default()).await?,
            loans,
            transfers: c
                .transfers(&TransferFilter {
                    mine: true,
                    pending: false,
                })
                .await?,
            inventory: c
                .inventory(&InventoryQuery {
                    owner: Some(me),
                    ..Default::default()
                })
                .await?,
        })
    }

    /// Reads the event stream until it ends; `on_event` for each event.
    async fn stream_events(&self, on_event: &Notify) -> Result<(), Failure> {
        let mut events = self.client()?.events().await?;
        while events.next().await? {
            on_event.notify_one();
        }
        Ok(())
    }
}

/// The free/busy of the owners not followed (the first 64 by id), from a
/// day ago to two weeks ahead, as the node has it now: the node fetches
/// what is missing or older than a minute, and its answer arrives as an
/// event, which brings a new fetch. A failure leaves it unknown.
async fn busy_of_others(
    c: &Client,
    resources: &[crdt_model::resource::Resource],
    followed: &std::collections::BTreeSet<crdt_model::ids::AgencyId>,
    me: crdt_model::ids::AgencyId,
) -> Vec<crdt_model::busy::BusyView> {
    let owners: std::collections::BTreeSet<_> = resources
        .iter()
        .map(|r| r.owner())
        .filter(|o| *o != me && !followed.contains(o))
        .collect();
    if owners.is_empty() {
        return Vec::new();
    }
    let now = jiff::Timestamp::now();
    let day = jiff::SignedDuration::from_hours(24);
    let r = api::BusyRequest {
        owners: owners
            .into_iter()
            .take(crdt_model::busy::MAX_OWNERS)
            .collect(),
        from: now - day,
        to: now + day * 14,
        max_age_s: None,
        wait_ms: Some(0),
    };
    c.busy(&r).await.map(|a| a.views).unwrap_or_default()
}

/// Starts the background tasks; returns the sender of effects.
pub fn spawn(api: Api, actions: mpsc::UnboundedSender<Action>) -> mpsc::UnboundedSender<Effect> {
    let refresh = Arc::new(Notify::new());
    // Fetcher: on demand, after events (bursts coalesce), and every 5 s.
    {
        let (api, tx, refresh) = (api.clone(), actions.clone(), refresh.clone());
        tokio::spawn(async move {
            loop {
                let ok = match api.fetch().await {
                    Ok(d) => tx.send(Action::Data(Box::new(d))).is_ok(),
                    Err(e) => tx.send(Action::Unreachable(e.message)).is_ok(),
                };
                if !ok {
                    return;
                }
                let _ = tokio::time::timeout(Duration::from_secs(5), refresh.notified()).await;
                // Let a burst of events settle into one fetch.
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
        });
    }
    // Event stream, reconnecting with a short pause.
    {
        let (api, refresh) = (api.clone(), refresh.clone());
        tokio::spawn(async move {
            loop {
                if let Err(e) = api.stream_events(&refresh).await {
                    tracing::debug!(error = %e.message.en, "event stream");
                }
                refresh.notify_one();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    let (etx, mut erx) = mpsc::unbounded_channel::<Effect>();
    tokio::spawn(async move {
        while let Some(effect) = erx.recv().await {
            let (api, tx, refresh) = (api.clone(), actions.clone(), refresh.clone());
            tokio::spawn(async move {
                if let Some(a) = run_effect(&api, effect, &refresh).await {
                    let _ = tx.send(a);
                }
            });
        }
    });
    etx
}

async fn run_effect(api: &Api, effect: Effect, refresh: &Notify) -> Option<Action> {
    let c = match api.client() {
        Ok(c) => c,
        Err(e) => return Some(Action::Unreachable(e.message)),
    };
    let msg = |e: api::Error| e.text();
    Some(match effect {
        Effect::Refresh => {
            refresh.notify_one();
            return None;
        }
        Effect::Book(r) => Action::Booked(c.book(&r).await.map(Box::new).map_err(Failure::from)),
        // The form shows the first occurrence; the others are in My bookings.
        Effect::BookSeries(r) => Action::Booked(match c.book_series(&r).await {
            Ok(list) => list
                .into_iter()
                .next()
                .map(Box::new)
                .ok_or_else(|| Failure {
                    message: i18n::E_REPEAT.both(),
                    rule: None,
                }),
            Err(e) => Err(Failure::from(e)),
        }),
        Effect::Cancel(r) => Action::Done(
            c.cancel(&r)
                .await
                .map(|_| i18n::DONE_CANCELLED)
                .map_err(msg),
        ),
        Effect::Hold(r) => Action::Done(c.hold(&r).await.map(|_| i18n::DONE_HELD).map_err(msg)),
        Effect::CheckIn(r) => Action::Done(
            c.checkin(&r)
                .await
                .map(|_| i18n::DONE_CHECKED_IN)
                .map_err(msg),
        ),
        Effect::Decide(r) => {
            Action::Done(c.decide(&r).await.map(|_| i18n::DONE_DECIDED).map_err(msg))
        }
        Effect::Revoke(r) => {
            Action::Done(c.revoke(&r).await.map(|_| i18n::DONE_REVOKED).map_err(msg))
        }
        Effect::Block(r) => Action::Done(
            c.block(&r)
                .await
                .map(|_| {
                    if r.block {
                        i18n::DONE_BLOCKED
                    } else {
                        i18n::DONE_UNBLOCKED
                    }
                })
                .map_err(msg),
        ),
        Effect::Slots(q) => Action::Slots(c.slots(&q).await.map_err(msg)),
        Effect::Suggest(id, q) => Action::Suggested(id, c.slots(&q).await.unwrap_or_default()),
        Effect::Invite(r) => Action::Invited(c.invite(&r).await.map(|i| i.token).map_err(msg)),
        Effect::RequestTrip(d) => Action::Done(
            c.request_trip(&d)
                .await
                .map(|_| i18n::DONE_TRIP_REQUESTED)
                .map_err(msg),
        ),
        Effect::TripStep(s) => {
            let done = match s.command {
                crdt_model::engine::TripCommand::Dispatch { .. } => i18n::DONE_DISPATCHED,
                _ => i18n::DONE_TRIP,
            };
            Action::Done(c.trip_step(&s).await.map(|_| done).map_err(msg))
        }
        Effect::AssetStep(op) => {
            let done = crate::app::asset_done(&op);
            Action::Done(c.asset_step(&op).await.map(|_| done).map_err(msg))
        }
        Effect::Report(q) => Action::Report(c.report(&q).await.map(Box::new).map_err(msg)),
    })
}
