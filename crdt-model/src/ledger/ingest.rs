//! Ingest: how a batch of signed changes gets into the ledger, local or
//! remote: screening (envelope, decoding, duplicates, forks, the signer's
//! right to the document), batch signature verification, the queue of
//! changes waiting for earlier ones, and applying each document's changes
//! in sequence.

use super::*;

impl Ledger {
    /// Verifies and applies a batch of signed changes, in any order.
    pub fn ingest(&mut self, batch: Vec<SignedChange>) -> IngestReport {
        self.ingest_inner(batch, Check::All)
    }

    /// Applies a change this replica's own agency has just signed: every
    /// check of [`Ledger::ingest`] except the signature verification.
    pub(crate) fn ingest_own(&mut self, change: SignedChange) -> IngestReport {
        self.ingest_inner(vec![change], Check::None)
    }

    /// Applies changes read back from this replica's own store: every
    /// check of [`Ledger::ingest`], but signatures only of members who
    /// have rotated their key. A stored change was verified before it was
    /// stored, against the key the roster named then; only a rotation can
    /// have made that key wrong since (a change signed with the old key
    /// past the rotation's cutoff, withdrawn when the rotation arrived, is
    /// refused again here). Revocations are membership checks, made anyway.
    /// Verifying everything again cost a fifth of a large history's load.
    pub fn ingest_stored(&mut self, batch: Vec<SignedChange>) -> IngestReport {
        self.ingest_inner(batch, Check::Rotated)
    }

    /// Whether the log of `env`'s document holds exactly `env` at
    /// `env.seq`.
    fn holds(&self, env: &SignedChange) -> bool {
        self.docs.get(&env.doc).is_some_and(|log| log.holds(env))
    }

    pub(super) fn ingest_inner(&mut self, batch: Vec<SignedChange>, check: Check) -> IngestReport {
        let mut report = IngestReport::default();
        let mut checked: Vec<(SignedChange, Change)> = Vec::with_capacity(batch.len());
        let mut seen_in_batch: BTreeSet<(DocId, u64)> = BTreeSet::new();
        for env in batch {
            if let Some(c) = self.screen(env, &mut seen_in_batch, &mut report) {
                checked.push(c);
            }
        }
        let results = self.verify_signatures(&checked, check);
        // What touches sealed records brings them back first (verified:
        // a forged change cannot).
        let touching = !self.sealed.docs.is_empty()
            && checked
                .iter()
                .zip(&results)
                .any(|((env, change), ok)| ok.is_ok() && self.touches_sealed(env, change));
        if touching {
            self.unseal_all(&mut report);
        }
        let touched = self.enqueue(checked, results, &mut report);
        for doc in touched {
            self.drain(&doc, &mut report);
        }
        report
    }

    /// Every check of one change that needs no signature verification:
    /// the envelope, the decoding, duplicates and forks, and the signer's
    /// right to write this document. Returns the change to verify, or
    /// `None` after recording it as a duplicate or a refusal.
    fn screen(
        &mut self,
        mut env: SignedChange,
        seen_in_batch: &mut BTreeSet<(DocId, u64)>,
        report: &mut IngestReport,
    ) -> Option<(SignedChange, Change)> {
        if let Some(reason) = envelope_fault(&env) {
            self.refuse(report, refusal(&env, 0, None, reason));
            return None;
        }
        // A change we already hold, resent with its number: no need to
        // decode and hash it again (the hint is checked against the exact
        // bytes and signature held under that number).
        if env.seq > 0 && self.holds(&env) {
            report.seen.push((env.doc.clone(), env.seq));
            report.duplicate(&env);
            return None;
        }
        let change = match Change::from_bytes(env.change.clone()) {
            Ok(c) => c,
            Err(e) => {
                let reason = RefuseReason::Malformed(e.to_string());
                self.refuse(report, refusal(&env, 0, None, reason));
                return None;
            }
        };
        let seq = change.seq();
        report.seen.push((env.doc.clone(), seq));
        let hash = change.hash();
        if let Some(s) = self.sealed.docs.get(&env.doc)
            && seq <= s.len
        {
            // A sealed change: the same one if the archive holds its
            // signature (a valid signature belongs to one change).
            let same = self.archive.as_ref().is_none_or(|(a, _)| {
                a.signed_change(&env.doc, seq)
                    .map_or(true, |held| held.sig == env.sig)
            });
            if same {
                report.duplicate(&env);
            } else {
                let r = refusal(&env, seq, Some(hash.to_string()), RefuseReason::Fork);
                self.refuse(report, r);
            }
            return None;
        }
        match self.hash_at(&env.doc, seq) {
            Some(h) if h == hash => {
                report.duplicate(&env);
                return None;
            }
            Some(_) => {
                let r = refusal(&env, seq, Some(hash.to_string()), RefuseReason::Fork);
                self.refuse(report, r);
                return None;
            }
            None => {}
        }
        if !seen_in_batch.insert((env.doc.clone(), seq)) {
            report.duplicate(&env);
            return None;
        }
        let reason = if *change.actor_id() != actor_of(&env.signer) {
            Some(RefuseReason::ActorMismatch)
        } else if env.doc.owner != env.signer {
            Some(RefuseReason::NotOwner)
        } else {
            self.roster
                .may_write(&env.signer, &env.doc, seq)
                .err()
                .map(Into::into)
        };
        if let Some(reason) = reason {
            self.refuse(report, refusal(&env, seq, Some(hash.to_string()), reason));
            return None;
        }
        env.seq = seq;
        Some((env, change))
    }

    /// The hash of change `seq` of `doc`, applied or pending, if held.
    fn hash_at(&self, doc: &DocId, seq: u64) -> Option<ChangeHash> {
        let applied = self.docs.get(doc).and_then(|d| {
            usize::try_from(seq)
                .ok()
                .and_then(|s| s.checked_sub(1))
                .and_then(|i| d.hash(i))
        });
        applied
            .copied()
            .or_else(|| self.pending.get(&(doc.clone(), seq)).map(|(_, c)| c.hash()))
    }

    /// Verifies, in one batch, the signatures `check` asks for; the others
    /// count as good.
    fn verify_signatures(
        &self,
        checked: &[(SignedChange, Change)],
        check: Check,
    ) -> Vec<Result<(), VerifyError>> {
        let verify = |env: &SignedChange| match check {
            Check::All => true,
            Check::None => false,
            Check::Rotated => self
                .roster
                .member(&env.signer)
                .is_some_and(|m| !m.rotations.is_empty()),
        };
        let picked: Vec<usize> = (0..checked.len())
            .filter(|&i| verify(&checked[i].0))
            .collect();
        let items: Vec<_> = picked
            .iter()
            .map(|&i| {
                let (env, c) = &checked[i];
                let key = self.roster.key_for(&env.signer, &env.doc, c.seq());
                (key, env.tagged_message(&c.hash()), env.sig)
            })
            .collect();
        let mut results = vec![Ok(()); checked.len()];
        for (i, r) in picked.into_iter().zip(verify_many(&items)) {
            results[i] = r;
        }
        results
    }

    /// Queues the verified changes to be applied in order (refusing bad
    /// signatures, and changes beyond the pending queue's limits); returns
    /// the documents that got a change.
    fn enqueue(
        &mut self,
        checked: Vec<(SignedChange, Change)>,
        results: Vec<Result<(), VerifyError>>,
        report: &mut IngestReport,
    ) -> BTreeSet<DocId> {
        let mut touched_docs = BTreeSet::new();
        for ((env, change), ok) in checked.into_iter().zip(results) {
            let by_signer = self.pending_by.get(&env.signer).copied().unwrap_or(0);
            let reason = if ok.is_err() {
                RefuseReason::Signature
            } else if self.pending.len() >= self.limits.0 || by_signer >= self.limits.1 {
                RefuseReason::QueueFull
            } else {
                touched_docs.insert(env.doc.clone());
                let signer = env.signer;
                if self
                    .pending
                    .insert((env.doc.clone(), change.seq()), (env, change))
                    .is_none()
                {
                    *self.pending_by.entry(signer).or_default() += 1;
                }
                continue;
            };
            let r = refusal(&env, change.seq(), Some(change.hash().to_string()), reason);
            self.refuse(report, r);
        }
        touched_docs
    }

    /// Applies the pending changes of `doc` that continue its history.
    fn drain(&mut self, doc: &DocId, report: &mut IngestReport) {
        loop {
            let next = self.docs.get(doc).map_or(0, DocLog::len) + 1;
            let Some((env, change)) = self.pending.remove(&(doc.clone(), next)) else {
                return;
            };
            if let Some(n) = self.pending_by.get_mut(&env.signer) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.pending_by.remove(&env.signer);
                }
            }
            let prev = self.docs.get(doc).and_then(DocLog::head);
            let deps_ok = match prev {
                None => change.deps().is_empty(),
                Some(h) => change.deps() == [h],
            };
            let outcome = if deps_ok {
                let last = self.docs.get(doc).and_then(DocLog::last_clock);
                decode_writes(doc, &change)
                    .map_err(|e| RefuseReason::Record(e.to_string()))
                    .and_then(|w| self.check_append_only(doc, w))
                    .and_then(|w| check_clocks(last, w))
            } else {
                Err(RefuseReason::Fork)
            };
            match outcome {
                Ok(writes) => {
                    let mut clock = None;
                    for w in writes {
                        clock = clock.max(w.record.hlc());
                        self.index
                            .apply(w.record, &mut report.touched, &mut report.deltas);
                    }
                    report.max_hlc = report.max_hlc.max(clock);
                    let archive = self.archive.as_ref();
                    let keep_bytes = archive.is_none_or(|(_, own)| doc.owner == *own);
                    let log = self.docs.entry(doc.clone()).or_default();
                    log.push(&env, change.hash(), keep_bytes, clock);
                    report.accepted.push(env);
                }
                Err(reason) => {
                    let r = Refusal {
                        doc: doc.clone(),
                        seq: next,
                        signer: env.signer,
                        hash: Some(change.hash().to_string()),
                        reason,
                    };
                    self.refuse(report, r);
                    return;
                }
            }
        }
    }

    fn check_append_only(
        &self,
        doc: &DocId,
        writes: Vec<Write>,
    ) -> Result<Vec<Write>, RefuseReason> {
        if doc.kind != DocKind::Catalog {
            for w in &writes {
                if self.index.contains(&w.record) {
                    return Err(RefuseReason::Record(format!(
                        "{} already exists (append-only)",
                        w.key
                    )));
                }
            }
        }
        Ok(writes)
    }
}
