//! Commands from the API handlers: runs of local actions go to the engine
//! as one batch; roster actions, key rotation and reads one by one.

use super::*;

impl Actor {
    /// Handles queued commands in order; runs of local actions go to the
    /// engine as one batch.
    pub(super) fn handle_commands(&mut self, cmds: Vec<Command>) {
        let mut ops = Vec::new();
        let mut waiting = Vec::new();
        for cmd in cmds {
            match cmd {
                Command::Local(op, reply) => {
                    ops.push(op);
                    waiting.push(reply);
                }
                other => {
                    self.local_batch(std::mem::take(&mut ops), std::mem::take(&mut waiting));
                    self.handle_command(other);
                }
            }
        }
        self.local_batch(ops, waiting);
    }

    pub(super) fn local_batch(
        &mut self,
        ops: Vec<LocalOp>,
        replies: Vec<oneshot::Sender<Result<LocalOutcome, LocalError>>>,
    ) {
        if ops.is_empty() {
            return;
        }
        if let Some(f) = &self.storage_fault {
            for reply in replies {
                let _ = reply.send(Err(LocalError::Storage(f.clone())));
            }
            return;
        }
        let (results, out) = self.engine.local_batch(Timestamp::now(), ops);
        self.apply(out);
        for (result, reply) in results.into_iter().zip(replies) {
            self.replies.push(reply_after_flush(reply, result));
        }
    }

    /// The home's files and every stored entry, after a flush: what this
    /// batch wrote before the backup is durable and in it, nothing can
    /// write while the picture is taken (the actor is busy taking it).
    fn snapshot(&mut self) -> Result<crate::backup::Snapshot, String> {
        let store = &self.store;
        if let Err(e) = tokio::task::block_in_place(|| store.flush()) {
            self.fail_storage("flushing the store", &e);
        }
        let t = Instant::now();
        let network = self.engine.ledger().roster().network_id().to_string();
        let snap = tokio::task::block_in_place(|| {
            crate::backup::Snapshot::take(
                &self.home,
                self.store.as_ref(),
                self.engine.id().to_string(),
                network,
            )
        })
        .map_err(|e| e.to_string())?;
        info!(
            entries = snap.entries.len(),
            ms = t.elapsed().as_millis() as u64,
            "backup: store read"
        );
        Ok(snap)
    }

    pub(super) fn handle_command(&mut self, cmd: Command) {
        let now = Timestamp::now();
        let fault = self
            .storage_fault
            .as_ref()
            .map(|f| LocalError::Storage(f.clone()));
        match cmd {
            Command::Local(op, reply) => {
                let result = match fault {
                    Some(e) => Err(e),
                    None => self.engine.local(now, op).map(|(outcome, out)| {
                        self.apply(out);
                        outcome
                    }),
                };
                self.replies.push(reply_after_flush(reply, result));
            }
            Command::Roster(action, reply) => {
                let result = match fault {
                    Some(e) => Err(e),
                    None => self
                        .engine
                        .roster_act(now, action)
                        .map(|out| self.apply(out)),
                };
                self.replies.push(reply_after_flush(reply, result));
            }
            Command::RotateKey(new_key, reply) => {
                let result = match fault {
                    Some(e) => Err(e),
                    None => self.engine.rotate_key(now, new_key).map(|out| {
                        self.apply(out);
                        self.dirty = true;
                        self.rekey = true;
                        self.engine.key().public()
                    }),
                };
                self.replies.push(reply_after_flush(reply, result));
            }
            Command::AddRoster(events, reply) => {
                let result = match fault {
                    Some(e) => Err(e),
                    None => {
                        let out = self.engine.add_roster_events(now, events);
                        self.apply(out);
                        Ok(())
                    }
                };
                self.replies.push(reply_after_flush(reply, result));
            }
            Command::Block(r, reply) => {
                let _ = reply.send(self.block(r));
            }
            Command::Follow(r, reply) => {
                let _ = reply.send(self.follow(r));
            }
            Command::Backup(reply) => {
                let _ = reply.send(self.snapshot());
            }
            Command::AskBusy(r, reply) => {
                let max_age_ms = i64::try_from(r.max_age_s.unwrap_or(api::DEFAULT_MAX_AGE_S))
                    .unwrap_or(i64::MAX)
                    .saturating_mul(1_000);
                let roster = self.engine.ledger().roster();
                if let Some(o) = r.owners.iter().find(|o| roster.member(o).is_none()) {
                    let _ = reply.send(Err(LocalError::Invalid(format!("unknown agency {o}"))));
                    return;
                }
                let result = self
                    .engine
                    .ask_busy(now, &r.owners, r.from, r.to, max_age_ms)
                    .map(|(asked, out)| {
                        self.apply(out);
                        asked
                    })
                    .map_err(LocalError::Invalid);
                let _ = reply.send(result);
            }
            Command::Read(f, settle) => {
                if settle {
                    self.settle();
                }
                let transport_peers = self
                    .swarm
                    .connected_peers()
                    .map(|p| p.to_string())
                    .collect();
                let view = View {
                    engine: &self.engine,
                    listen: &self.listen,
                    peers: &self.peers,
                    started: self.started,
                    join: &self.join,
                    transport_peers,
                    storage_fault: self.storage_fault.as_deref(),
                    refused_connections: self.refused_connections,
                    own_gaps: self
                        .gaps
                        .iter()
                        .map(|(d, (held, n))| (d.clone(), *held, *n))
                        .collect(),
                    blocked: &self.blocked,
                    connections: self.connections_view(),
                    topics: self.topics_view(),
                };
                f(&view);
            }
        }
    }
}
