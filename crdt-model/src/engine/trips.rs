//! Trips on this node: a staff agency's request, the fleet owner's steps
//! (dispatch with a vehicle and a driver, reject, start, finish) checked and
//! written as records, and automatic dispatch for vehicles set to it.

use super::*;
use crate::booking::{Terms, Verdict};
use crate::trip::{TripAction, TripRequest, TripStatus, TripUpdate, check_dispatch, pick, view};

impl Engine {
    /// Where trip `id` stands (after [`Engine::settle`]).
    pub fn trip(&self, id: &BookingId) -> Option<crate::trip::Trip> {
        view::view(
            self.ledger.index(),
            self.ledger.roster(),
            |r| self.calendars.get(r),
            id,
        )
    }

    /// The first vehicle and driver free for trip `id` (after
    /// [`Engine::settle`]): what a dispatcher is offered first.
    pub fn free_pair(&self, id: &BookingId) -> Option<(ResourceId, ResourceId)> {
        let trip = self.ledger.index().trips.get(id)?;
        crate::trip::first_free(self.ledger.index(), |r| self.calendars.get(r), trip, false)
    }

    /// A trip action written as its own change; outputs go to `out`.
    pub(super) fn local_trip(
        &mut self,
        now: Timestamp,
        op: LocalOp,
        out: &mut Vec<Output>,
    ) -> Result<LocalOutcome, LocalError> {
        if let Some(why) = self.revoked() {
            return Err(LocalError::NotAllowed(why));
        }
        let (doc, records, id) = match op {
            LocalOp::RequestTrip(draft) => self.prepare_trip(now, *draft)?,
            LocalOp::Trip { trip, command } => self.prepare_step(now, trip, command)?,
            _ => return Err(LocalError::Invalid("not a trip action".into())),
        };
        let report = self.write(now, doc, records)?;
        self.after_ingest(now, None, report, out);
        let trip = self
            .trip(&id)
            .ok_or_else(|| LocalError::UnknownBooking(id.to_string()))?;
        Ok(LocalOutcome::Trip(Box::new(trip)))
    }

    /// A new trip request, filed with the fleet's owner.
    fn prepare_trip(
        &mut self,
        now: Timestamp,
        d: TripDraft,
    ) -> Result<(DocId, Vec<Record>, BookingId), LocalError> {
        if !self.ledger.roster().is_active(&d.owner) {
            return Err(LocalError::Invalid(format!(
                "{} is not a member",
                d.owner.short()
            )));
        }
        if d.end <= d.start {
            return Err(LocalError::Rule(crate::resource::RuleViolation::EmptyRange));
        }
        if d.start < now {
            return Err(LocalError::Rule(crate::resource::RuleViolation::InPast));
        }
        if let Some(v) = &d.vehicle {
            let r = self
                .ledger
                .index()
                .resources
                .get(v)
                .ok_or_else(|| LocalError::UnknownResource(v.to_string()))?;
            if !r.is_vehicle() || v.owner != d.owner {
                return Err(LocalError::Invalid(format!(
                    "{v} is not a vehicle of the fleet asked"
                )));
            }
        }
        let hlc = self.clock.tick(ms(now));
        let local = self.fresh_local(hlc);
        let id = BookingId::new(self.me, &local).map_err(|e| LocalError::Invalid(e.to_string()))?;
        let trip = TripRequest {
            id: id.clone(),
            owner: d.owner,
            class: d.class,
            vehicle: d.vehicle,
            start: d.start,
            end: d.end,
            passengers: d.passengers,
            destination: d.destination.into(),
            purpose: d.purpose.into(),
            contact: d.contact.into(),
            hlc,
        };
        let doc = DocId::requests(self.me, d.owner, shard_of(now));
        let record = Record::Trip(Box::new(trip));
        record
            .validate(&doc, &record.key())
            .map_err(|e| LocalError::Invalid(e.to_string()))?;
        Ok((doc, vec![record], id))
    }

    /// The fleet owner's step in trip `id`, checked against where it stands.
    fn prepare_step(
        &mut self,
        now: Timestamp,
        id: BookingId,
        command: TripCommand,
    ) -> Result<(DocId, Vec<Record>, BookingId), LocalError> {
        let trip = self
            .trip(&id)
            .ok_or_else(|| LocalError::UnknownBooking(id.to_string()))?;
        if trip.request.owner != self.me {
            return Err(LocalError::NotAllowed(
                "only the fleet's owner dispatches and records its trips".into(),
            ));
        }
        let state = |want: TripStatus| {
            if trip.status == want {
                Ok(())
            } else {
                Err(LocalError::Dispatch(format!(
                    "trip {} is {}, not {}",
                    id,
                    trip.status.text().en,
                    want.text().en
                )))
            }
        };
        let mut records = Vec::new();
        let action = match command {
            TripCommand::Dispatch { vehicle, driver } => {
                state(TripStatus::Requested)?;
                let index = self.ledger.index();
                check_dispatch(
                    index,
                    |r| self.calendars.get(r),
                    &trip.request,
                    &vehicle,
                    &driver,
                )
                .map_err(|e| LocalError::Dispatch(e.to_string()))?;
                records = self.dispatch_decisions(now, &trip.request, &vehicle, &driver);
                let order = self
                    .ledger
                    .index()
                    .max_order
                    .get(&self.me)
                    .copied()
                    .unwrap_or(0)
                    + 1;
                TripAction::Dispatch {
                    order,
                    vehicle,
                    driver,
                }
            }
            TripCommand::Reject { reason } => {
                state(TripStatus::Requested)?;
                TripAction::Reject { reason }
            }
            TripCommand::Start { odometer_km } => {
                state(TripStatus::Dispatched)?;
                TripAction::Start { odometer_km }
            }
            TripCommand::Finish {
                odometer_km,
                fuel_ml,
                charge_wh,
                note,
            } => {
                state(TripStatus::Started)?;
                if let Some(out) = trip.odometer_out
                    && odometer_km < out
                {
                    return Err(LocalError::Invalid(format!(
                        "the return reading {odometer_km} km is below the departure's {out} km"
                    )));
                }
                TripAction::Finish {
                    odometer_km,
                    fuel_ml,
                    charge_wh,
                    note,
                }
            }
        };
        records.push(Record::TripUpdate(Box::new(TripUpdate {
            trip: id.clone(),
            fleet: self.me,
            action,
            hlc: self.clock.tick(ms(now)),
        })));
        let doc = DocId::decisions(self.me, shard_of(now));
        for r in &records {
            r.validate(&doc, &r.key())
                .map_err(|e| LocalError::Invalid(e.to_string()))?;
        }
        Ok((doc, records, id))
    }

    /// The two confirmations a dispatch writes beside it: the trip holds
    /// the vehicle (its passengers) and the driver, each in its own log.
    fn dispatch_decisions(
        &mut self,
        now: Timestamp,
        trip: &TripRequest,
        vehicle: &ResourceId,
        driver: &ResourceId,
    ) -> Vec<Record> {
        let next = |rid: &ResourceId| {
            self.calendars.get(rid).map_or_else(
                || self.ledger.index().next_decision_seq(rid),
                |c| c.next_decision,
            )
        };
        let (sv, sd) = (next(vehicle), next(driver));
        let terms = |quantity| Terms {
            start: trip.start,
            end: trip.end,
            quantity,
        };
        let confirm = |quantity| Draft {
            booking: trip.id.clone(),
            terms: terms(quantity),
            verdict: Verdict::Confirm,
        };
        vec![
            self.decision_record(now, vehicle, sv, confirm(trip.passengers)),
            self.decision_record(now, driver, sd, confirm(1)),
        ]
    }

    /// Automatic dispatch of the trips waiting for this agency, where a
    /// vehicle set to automatic approval and a driver are free.
    pub(super) fn run_trip_policy(&mut self, now: Timestamp, out: &mut Vec<Output>) {
        let index = self.ledger.index();
        let open: Vec<BookingId> = match index.open_trips.get(&self.me) {
            Some(s) if !s.is_empty() => s.iter().cloned().collect(),
            _ => return,
        };
        // Nothing to do for a fleet dispatched by hand (the usual case).
        let first = ResourceId {
            owner: self.me,
            local: Default::default(),
        };
        let automatic = index
            .resources
            .range(first..)
            .take_while(|(id, _)| id.owner == self.me)
            .any(|(_, r)| {
                r.is_vehicle()
                    && !r.retired
                    && r.rules.approval == crate::resource::Approval::Automatic
            });
        if !automatic {
            return;
        }
        let mut merged = IngestReport::default();
        for id in open {
            let Some(trip) = self.ledger.index().trips.get(&id).cloned() else {
                continue;
            };
            if trip.start < now
                || self
                    .trip(&id)
                    .is_none_or(|t| t.status != TripStatus::Requested)
            {
                continue;
            }
            let Some((vehicle, driver)) =
                pick(self.ledger.index(), |r| self.calendars.get(r), &trip)
            else {
                continue;
            };
            let command = TripCommand::Dispatch { vehicle, driver };
            let Ok((doc, records, _)) = self.prepare_step(now, id, command) else {
                continue;
            };
            if let Ok(report) = self.write(now, doc, records) {
                // The next pick sees this dispatch.
                self.refresh(report.touched.clone(), &report.deltas);
                merged.merge(report);
            }
        }
        if !merged.accepted.is_empty() {
            self.after_ingest(now, None, merged, out);
        }
    }
}
