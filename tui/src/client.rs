//! The TUI's side of the node's HTTP API: a background fetcher (on start,
//! on every event of the node's event stream, every few seconds, and on
//! demand), the event-stream reader, and the runner of effects. Everything
//! comes back to the main loop as an [`Action`].

use std::sync::Arc;
use std::time::Duration;

use crdt_model::api::{ApiError, InviteResponse, MemberEntry, Status};
use crdt_model::availability::Candidate;
use crdt_model::calendar::Booking;
use crdt_model::resource::Resource;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Notify, mpsc};

use crate::action::{Action, Effect};
use crate::app::Data;
use crate::i18n;

/// Where the node's API is and the token to use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Bearer token.
    pub token: String,
}

/// Finds the endpoint (again on every reconnect: a restarted node has a new
/// port and token).
pub type Connect = Arc<dyn Fn() -> anyhow::Result<Endpoint> + Send + Sync>;

/// A small API client.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    stream: reqwest::Client,
    connect: Connect,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").finish_non_exhaustive()
    }
}

impl Api {
    /// A client finding its node with `connect`.
    pub fn new(connect: Connect) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(30))
            .no_proxy()
            .build()?;
        let stream = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .no_proxy()
            .build()?;
        Ok(Self {
            http,
            stream,
            connect,
        })
    }

    fn endpoint(&self) -> Result<Endpoint, String> {
        (self.connect)().map_err(|e| format!("{e:#}"))
    }

    async fn send<T: DeserializeOwned>(
        &self,
        f: impl FnOnce(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<T, String> {
        let ep = self.endpoint()?;
        let resp = f(&self.http, &ep.base)
            .bearer_auth(&ep.token)
            .send()
            .await
            .map_err(|e| {
                if e.is_connect() || e.is_timeout() {
                    format!("{} ({e})", ep.base)
                } else {
                    e.to_string()
                }
            })?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ApiError>(&bytes) {
                Ok(e) => format!("{} ({})", e.message, e.code),
                Err(_) => format!("node answered {status}"),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("decoding the node's answer: {e}"))
    }

    /// GET `path`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        self.send(|c, base| c.get(format!("{base}{path}"))).await
    }

    /// POST `body` to `path`.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, String> {
        self.send(|c, base| c.post(format!("{base}{path}")).json(body))
            .await
    }

    /// Everything the screens show.
    pub async fn fetch(&self) -> Result<Data, String> {
        let status: Status = self.get("/api/v1/status").await?;
        let resources: Vec<Resource> = self.get("/api/v1/resources").await?;
        let bookings: Vec<Booking> = self.get("/api/v1/bookings").await?;
        let members: Vec<MemberEntry> = self.get("/api/v1/members").await?;
        Ok(Data {
            status: Some(status),
            resources,
            bookings,
            members,
        })
    }

    /// Reads the event stream until it ends; `on_event` for each event.
    async fn stream_events(&self, on_event: &Notify) -> Result<(), String> {
        let ep = self.endpoint()?;
        let mut resp = self
            .stream
            .get(format!("{}/api/v1/events", ep.base))
            .bearer_auth(&ep.token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("event stream: {}", resp.status()));
        }
        // Anything that arrives means something changed (keep-alives are comments).
        while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
            if chunk.windows(5).any(|w| w == b"data:") {
                on_event.notify_one();
            }
        }
        Ok(())
    }
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
                    Err(e) => tx.send(Action::Unreachable(e)).is_ok(),
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
                    tracing::debug!(error = %e, "event stream");
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
    Some(match effect {
        Effect::Refresh => {
            refresh.notify_one();
            return None;
        }
        Effect::Book(r) => Action::Booked(api.post("/api/v1/bookings", &r).await.map(Box::new)),
        Effect::Cancel(r) => Action::Done(
            api.post::<_, Booking>("/api/v1/cancel", &r)
                .await
                .map(|_| i18n::DONE_CANCELLED),
        ),
        Effect::Decide(r) => Action::Done(
            api.post::<_, Booking>("/api/v1/decide", &r)
                .await
                .map(|_| i18n::DONE_DECIDED),
        ),
        Effect::Revoke(r) => Action::Done(
            api.post::<_, serde_json::Value>("/api/v1/revoke", &r)
                .await
                .map(|_| i18n::DONE_REVOKED),
        ),
        Effect::Slots(q) => Action::Slots(api.post("/api/v1/slots", &q).await),
        Effect::Suggest(id, q) => Action::Suggested(
            id,
            api.post::<_, Vec<Candidate>>("/api/v1/slots", &q)
                .await
                .unwrap_or_default(),
        ),
        Effect::Invite(r) => Action::Invited(
            api.post::<_, InviteResponse>("/api/v1/invite", &r)
                .await
                .map(|i| i.token),
        ),
    })
}
