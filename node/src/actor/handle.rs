//! The cloneable handle API handlers hold: each method sends the actor a
//! command and awaits its one-shot reply.

use super::*;

/// A cloneable handle to the actor.
#[derive(Clone, Debug)]
pub struct NodeHandle {
    pub(super) tx: mpsc::Sender<Command>,
    pub(super) events: broadcast::Sender<Event>,
}

impl NodeHandle {
    /// Performs a local action; resolves once it is durable.
    pub async fn local(&self, op: LocalOp) -> Result<LocalOutcome, LocalError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Local(op, tx)).await;
        rx.await.unwrap_or_else(|_| Err(shutting_down()))
    }

    /// Performs an admin roster action.
    pub async fn roster(&self, action: RosterAction) -> Result<(), LocalError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Roster(action, tx)).await;
        rx.await.unwrap_or_else(|_| Err(shutting_down()))
    }

    /// Blocks or unblocks a member on this node.
    pub async fn block(&self, r: api::BlockRequest) -> Result<Vec<api::BlockedPeer>, LocalError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Block(r, tx)).await;
        rx.await.unwrap_or_else(|_| Err(shutting_down()))
    }

    /// What this node follows, after applying `r` if given.
    pub async fn follow(
        &self,
        r: Option<api::FollowRequest>,
    ) -> Result<api::FollowsView, LocalError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Follow(r, tx)).await;
        rx.await.unwrap_or_else(|_| Err(shutting_down()))
    }

    /// The free/busy of owners not followed: asks the owner or a peer
    /// following it for what is missing or older than the request allows,
    /// and waits until every owner asked has answered or the request's
    /// wait is over. The answer lists every cached free/busy of the owners.
    pub async fn busy(&self, r: api::BusyRequest) -> Result<api::BusyAnswer, LocalError> {
        let wait =
            std::time::Duration::from_millis(r.wait_ms.unwrap_or(api::DEFAULT_WAIT_MS).min(30_000));
        let owners = r.owners.clone();
        // Subscribed before asking: an answer cannot slip by.
        let mut events = self.subscribe();
        let (tx, rx) = oneshot::channel();
        self.send(Command::AskBusy(r.clone(), tx)).await;
        let asked = rx.await.unwrap_or_else(|_| Err(shutting_down()))?;
        // Owners dialled are asked by the engine once connected.
        let mut silent: BTreeSet<AgencyId> = asked
            .asked
            .iter()
            .map(|(o, _)| *o)
            .chain(asked.dialled.iter().copied())
            .collect();
        let deadline = tokio::time::Instant::now() + wait;
        while !silent.is_empty() {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Ok(Event::Busy { owners })) => {
                    for o in owners {
                        silent.remove(&o);
                    }
                }
                Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
                Ok(Err(broadcast::error::RecvError::Closed)) | Err(_) => break,
            }
        }
        let views = self
            .read_state(move |v| {
                owners
                    .iter()
                    .filter_map(|o| v.engine.busy(o).cloned())
                    .collect()
            })
            .await
            .ok_or_else(shutting_down)?;
        Ok(api::BusyAnswer {
            dialled: asked.dialled.clone(),
            asked,
            views,
            silent: silent.into_iter().collect(),
        })
    }

    /// Adds roster events (durably).
    pub async fn add_roster(&self, events: Vec<SignedRosterEvent>) -> Result<(), LocalError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::AddRoster(events, tx)).await;
        rx.await.unwrap_or_else(|_| Err(shutting_down()))
    }

    /// Rotates this agency's key to `new_key`; resolves once durable.
    pub async fn rotate_key(&self, new_key: AgencyKey) -> Result<AgencyId, LocalError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::RotateKey(new_key, tx)).await;
        rx.await.unwrap_or_else(|_| Err(shutting_down()))
    }

    /// Takes a consistent picture of the home (files and store) for a
    /// backup: everything acknowledged before the call is in it.
    pub async fn backup(&self) -> Result<crate::backup::Snapshot, String> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Backup(tx)).await;
        rx.await
            .unwrap_or_else(|_| Err("the node is shutting down".into()))
    }

    /// Runs a read-only query against the actor's state, with every
    /// calendar up to date.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&View<'_>) -> T + Send + 'static,
    ) -> Option<T> {
        self.read_with(f, true).await
    }

    /// Asks the replica a typed question (see `crdt_model::query`), with
    /// every calendar up to date. `None` when the node is shutting down.
    pub async fn query<Q>(&self, q: Q) -> Option<Q::Answer>
    where
        Q: crdt_model::query::Query + Send + 'static,
        Q::Answer: Send + 'static,
    {
        self.read(move |v| q.answer(v.engine, Timestamp::now()))
            .await
    }

    /// Like [`NodeHandle::read`] for queries of the ledger and sync state
    /// only (status): calendars of other agencies' resources may lag, and
    /// reading one panics in debug builds.
    pub async fn read_state<T: Send + 'static>(
        &self,
        f: impl FnOnce(&View<'_>) -> T + Send + 'static,
    ) -> Option<T> {
        self.read_with(f, false).await
    }

    async fn read_with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&View<'_>) -> T + Send + 'static,
        settle: bool,
    ) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        let f: ReadFn = Box::new(move |v| {
            let _ = tx.send(f(v));
        });
        self.send(Command::Read(f, settle)).await;
        rx.await.ok()
    }

    async fn send(&self, cmd: Command) {
        // The actor only stops at shutdown; a closed channel then shows as
        // a dropped reply.
        let _ = self.tx.send(cmd).await;
    }

    /// Subscribes to engine events.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }
}
