// Routing through the Desk: keeping the policy in step with each command's
// transaction, decisions, offers, pull.
#include "desk/desk_impl.h"

namespace helpdesk {


// Keeps the routing fields of a ticket about to be stored right: a pending
// offer needs a routed ticket with an assignee; the queue time is kept while
// the ticket waits (queued, or offered and not yet accepted) and dropped
// otherwise.
void DeskCore::StampRouting(v1::Ticket* t, absl::Time now) const {
  if (!routing_enabled()) return;
  const bool routed = RoutingItem(*t).has_value();
  if (!routed || t->assignee_id() == 0) t->clear_routing_offer_expires_at();
  const bool waiting =
      routed && (t->assignee_id() == 0 || t->has_routing_offer_expires_at());
  if (!waiting) {
    t->clear_routing_queued_at();
  } else if (!t->has_routing_queued_at()) {
    *t->mutable_routing_queued_at() = ToTimestamp(now);
  }
}

absl::StatusOr<std::unique_ptr<RoutingPolicy>> DeskCore::MakePolicy() const {
  const RoutingOptions& r = *options_.routing;
  if (r.make_policy) {
    HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<RoutingPolicy> p, r.make_policy());
    if (p == nullptr) {
      return absl::InvalidArgumentError("routing.make_policy returned no policy");
    }
    return p;
  }
  v1::RoutingPolicyConfig config = r.policy;
  if (config.policy_case() == v1::RoutingPolicyConfig::POLICY_NOT_SET) {
    config.mutable_least_loaded();
  }
  absl::StatusOr<std::unique_ptr<RoutingPolicy>> p = NewRoutingPolicy(config);
  if (!p.ok()) return Locate(p.status(), "routing.policy");
  return p;
}

// Loads a new policy with every agent and every new or open ticket.
absl::Status DeskCore::RebuildLocked(absl::Time now) {
  HELPDESK_ASSIGN_OR_RETURN(std::unique_ptr<RoutingPolicy> policy, MakePolicy());
  auto mirror = std::make_unique<internal::RoutingMirror>(std::move(policy),
                                                          options_.routing->work_item);
  // The watermark first: whatever commits while the rest is read has a
  // later id, and CatchUpRoutingLocked syncs it again.
  std::optional<int64_t> seen;
  absl::StatusOr<int64_t> last = RunOnce(TransactionMode::kReadOnly,
                                         [](Transaction& tx) { return tx.LastEventId(); });
  if (last.ok()) {
    seen = *last;
  } else if (!absl::IsUnimplemented(last.status())) {
    return last.status();
  }
  HELPDESK_ASSIGN_OR_RETURN(
      std::vector<v1::Agent> agents,
      RunOnce(
          TransactionMode::kReadOnly, [](Transaction& tx) { return tx.ListAgents(); }));
  for (const v1::Agent& a : agents) {
    HELPDESK_RETURN_IF_ERROR(mirror->SyncAgent(a, now));
  }
  TicketQuery q;
  q.status_categories = {v1::STATUS_CATEGORY_NEW, v1::STATUS_CATEGORY_OPEN};
  q.sort = TicketSort::kIdAsc;
  q.limit = kMaxQueryLimit;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(
        TicketPage page,
        RunOnce(
            TransactionMode::kReadOnly,
            [&](Transaction& tx) { return tx.QueryTickets(q); }));
    for (const v1::Ticket& t : page.tickets) {
      HELPDESK_RETURN_IF_ERROR(
          Locate(mirror->SyncTicket(t, now), absl::StrCat("ticket ", t.id())));
    }
    if (page.next_cursor.empty()) break;
    q.cursor = page.next_cursor;
  }
  routing_ = std::move(mirror);
  routing_dirty_ = false;
  routing_seen_event_ = seen;
  return absl::OkStatus();
}

absl::Status DeskCore::CatchUpRoutingLocked(absl::Time now) {
  if (routing_dirty_ || !routing_seen_event_.has_value()) {
    routing_dirty_ = true;
    return EnsureFreshLocked(now);
  }
  // What changed since the watermark, read in one snapshot: the tickets
  // (as stored now) of every later event, and every agent.
  struct Changes {
    int64_t seen = 0;
    std::vector<v1::Agent> agents;
    std::vector<v1::Ticket> tickets;
    std::vector<int64_t> deleted;
  };
  const int64_t watermark = *routing_seen_event_;
  HELPDESK_ASSIGN_OR_RETURN(
      Changes c,
      RunOnce(TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<Changes> {
        constexpr int kPage = 10000;
        Changes c;
        c.seen = watermark;
        std::set<int64_t> touched;
        while (true) {
          HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> page,
                                    tx.ListEventsSince(c.seen, kPage));
          for (const v1::Event& e : page) {
            touched.insert(e.ticket_id());
            c.seen = e.id();
          }
          if (static_cast<int>(page.size()) < kPage) break;
        }
        for (int64_t id : touched) {
          absl::StatusOr<v1::Ticket> t = tx.GetTicket(id);
          if (t.ok()) {
            c.tickets.push_back(*std::move(t));
          } else if (absl::IsNotFound(t.status())) {
            c.deleted.push_back(id);
          } else {
            return t.status();
          }
        }
        HELPDESK_ASSIGN_OR_RETURN(c.agents, tx.ListAgents());
        return c;
      }));
  // Agents first, so a ticket given to an agent finds them (as the rebuild).
  absl::Status synced;
  for (const v1::Agent& a : c.agents) {
    if (!routing_->HasAgentAt(a)) synced.Update(routing_->SyncAgent(a, now));
  }
  for (const v1::Ticket& t : c.tickets) synced.Update(routing_->SyncTicket(t, now));
  for (int64_t id : c.deleted) synced.Update(routing_->SyncDeleted(id));
  if (!synced.ok()) {
    // As after a routed command: the next routing step rebuilds.
    routing_dirty_ = true;
    return absl::OkStatus();
  }
  routing_seen_event_ = std::max(*routing_seen_event_, c.seen);
  return absl::OkStatus();
}

// Reports a command's writes to the policy inside its transaction, then
// places queued work there (see desk_impl.h).
absl::Status DeskCore::RouteWrittenInTxLocked(Transaction& tx, const WrittenObjects& written,
                                              absl::Time now,
                                              std::vector<v1::Ticket>* decided) {
  absl::Status synced;
  for (const auto& [id, agent] : written.agents) {
    synced.Update(routing_->SyncAgent(agent, now));
  }
  for (const auto& [id, ticket] : written.tickets) {
    synced.Update(routing_->SyncTicket(ticket, now));
  }
  if (!synced.ok()) {
    routing_dirty_ = true;
    return absl::OkStatus();
  }
  if (!options_.routing->push) return absl::OkStatus();
  // Each round either assigns a ticket or undoes a stale decision; the bound
  // only guards against a policy that keeps proposing the same stale one.
  for (int round = 0; round < 1000000; ++round) {
    absl::StatusOr<Assignment> a = routing_->policy().Next(now);
    if (absl::IsNotFound(a.status())) return absl::OkStatus();
    if (!a.ok()) {
      routing_dirty_ = true;
      return absl::OkStatus();
    }
    StaleDecision stale;
    absl::StatusOr<v1::Ticket> t = DecideInTx(tx, *a, now, true, &stale);
    if (t.ok()) {
      decided->push_back(*std::move(t));
      continue;
    }
    if (!stale.found) return t.status();
    // The store (as this transaction sees it) does not support the decision:
    // undo the policy's count from that state and ask again.
    if (!routing_->Resync(stale.ticket, stale.agent, now).ok()) {
      routing_dirty_ = true;
      return absl::OkStatus();
    }
  }
  routing_dirty_ = true;
  return absl::OkStatus();
}

// Whether a decision still holds in the store: the ticket routed and
// unassigned (or, for a pull, as given), the agent active and online.
absl::Status DeskCore::CheckDecision(const v1::Ticket& t, const v1::Agent& agent,
                                       bool routable) {
  if (!routable || t.assignee_id() != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("ticket ", t.id(), " is no longer waiting for an agent"));
  }
  if (agent.deactivated() || agent.presence() != v1::PRESENCE_ONLINE) {
    return absl::FailedPreconditionError(
        absl::StrCat("agent ", agent.id(), " is not online"));
  }
  return absl::OkStatus();
}

// Writes one decision into `tx` (see desk_impl.h).
absl::StatusOr<v1::Ticket> DeskCore::DecideInTx(Transaction& tx, const Assignment& a,
                                                absl::Time now, bool offer,
                                                StaleDecision* stale) {
  HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, tx.GetTicket(a.ticket_id));
  HELPDESK_ASSIGN_OR_RETURN(v1::Agent agent, tx.GetAgent(a.agent_id));
  absl::Status ok = CheckDecision(t, agent, RoutingItem(t).has_value());
  if (!ok.ok()) {
    stale->found = true;
    stale->ticket = std::move(t);
    stale->agent = std::move(agent);
    return ok;
  }
  const int64_t loaded = t.version();
  v1::Event e;
  e.set_kind(v1::Event::ROUTED);
  AddChange(e.mutable_changes(), v1::FieldChange::ASSIGNEE, AgentValue(0),
            AgentValue(a.agent_id));
  e.set_related_agent_id(a.agent_id);
  e.set_note(a.reason);
  t.set_assignee_id(a.agent_id);
  const absl::Duration timeout = options_.routing->offer_timeout;
  if (offer && timeout > absl::ZeroDuration()) {
    *t.mutable_routing_offer_expires_at() = ToTimestamp(now + timeout);
  } else {
    t.clear_routing_offer_expires_at();
  }
  Access system;
  system.actor = SystemActor();
  HELPDESK_RETURN_IF_ERROR(SaveWithEvent(tx, system, now, &t, loaded, &e));
  return t;
}

// Commits one decision in its own transaction, then notes it in the mirror.
absl::StatusOr<v1::Ticket> DeskCore::CommitDecisionLocked(const Assignment& a,
                                                            absl::Time now, bool offer) {
  StaleDecision stale;
  absl::StatusOr<v1::Ticket> done = RunOnce(
      TransactionMode::kReadWrite,
      [&](Transaction& tx) -> absl::StatusOr<v1::Ticket> {
        HELPDESK_RETURN_IF_ERROR(FenceInTx(tx));  // issue 17
        return DecideInTx(tx, a, now, offer, &stale);
      });
  if (done.ok()) {
    routing_->NoteAssigned(*done);
    return done;
  }
  if (!stale.found) {
    routing_dirty_ = true;
    return done.status();
  }
  // Undo the policy's count and tell it what the store holds.
  absl::Status s = routing_->Resync(stale.ticket, stale.agent, now);
  if (!s.ok()) routing_dirty_ = true;
  return done.status();
}

// Places queued work until the policy has nothing it can place now.
absl::Status DeskCore::RouteLocked(absl::Time now, std::vector<int64_t>* routed,
                                     TickReport* report) {
  HELPDESK_RETURN_IF_ERROR(EnsureFreshLocked(now));
  if (!options_.routing->push) return absl::OkStatus();
  // Each round either assigns a ticket or undoes a stale decision; the bound
  // only guards against a policy that keeps proposing the same stale one.
  for (int round = 0; round < 1000000; ++round) {
    absl::StatusOr<Assignment> a = routing_->policy().Next(now);
    if (absl::IsNotFound(a.status())) return absl::OkStatus();
    if (!a.ok()) {
      routing_dirty_ = true;
      return a.status();
    }
    absl::StatusOr<v1::Ticket> t = CommitDecisionLocked(*a, now, true);
    if (t.ok()) {
      if (routed != nullptr) routed->push_back(t->id());
      if (report != nullptr) ++report->routed;
    } else if (!absl::IsFailedPrecondition(t.status())) {
      return t.status();
    }
  }
  routing_dirty_ = true;
  return absl::InternalError("routing: the policy kept proposing stale decisions");
}

// Unassigns `t` from its assignee after a decline or an offer running out:
// the agent joins the ticket's decliners and OFFER_DECLINED is written.
absl::Status DeskCore::DeclineInTx(Transaction& tx, const Access& a, v1::Ticket* t,
                                     OfferOutcome outcome, absl::Time now) {
  const int64_t agent = t->assignee_id();
  const int64_t loaded = t->version();
  v1::Event e;
  e.set_kind(v1::Event::OFFER_DECLINED);
  AddChange(e.mutable_changes(), v1::FieldChange::ASSIGNEE, AgentValue(agent),
            AgentValue(0));
  e.set_related_agent_id(agent);
  e.set_note(outcome == OfferOutcome::kTimedOut
                 ? absl::StrCat("agent ", agent, " did not accept within ",
                                absl::FormatDuration(options_.routing->offer_timeout))
                 : absl::StrCat("agent ", agent, " declined"));
  t->set_assignee_id(0);
  if (std::find(t->routing_declined_agent_ids().begin(),
                t->routing_declined_agent_ids().end(),
                agent) == t->routing_declined_agent_ids().end()) {
    t->add_routing_declined_agent_ids(agent);
  }
  return SaveWithEvent(tx, a, now, t, loaded, &e);
}

// Offers that ran out by `now` count as declined.
absl::Status DeskCore::ExpireOffersLocked(absl::Time now, TickReport* report) {
  HELPDESK_RETURN_IF_ERROR(EnsureFreshLocked(now));
  for (const std::pair<int64_t, int64_t>& offer : routing_->ExpiredOffers(now)) {
    // Named copies, not structured bindings: clang 14 (the fuzz preset's
    // compiler) cannot capture a structured binding in a lambda.
    const int64_t ticket_id = offer.first;
    const int64_t agent_id = offer.second;
    bool expired = false;
    absl::StatusOr<v1::Ticket> stored = RunOnce(
        TransactionMode::kReadWrite,
        [&](Transaction& tx) -> absl::StatusOr<v1::Ticket> {
          HELPDESK_RETURN_IF_ERROR(FenceInTx(tx));  // issue 17
          HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, tx.GetTicket(ticket_id));
          if (t.assignee_id() != agent_id || !t.has_routing_offer_expires_at() ||
              FromTimestamp(t.routing_offer_expires_at()) > now) {
            return t;  // accepted or moved meanwhile
          }
          Access system;
          system.actor = SystemActor();
          HELPDESK_RETURN_IF_ERROR(
              DeclineInTx(tx, system, &t, OfferOutcome::kTimedOut, now));
          expired = true;
          return t;
        });
    if (!stored.ok()) {
      routing_dirty_ = true;
      return stored.status();
    }
    if (expired) {
      AfterDeclineLocked(*stored, agent_id, OfferOutcome::kTimedOut, now);
      ++report->offers_expired;
    } else {
      absl::Status s = routing_->SyncTicket(*stored, now);
      if (!s.ok()) routing_dirty_ = true;
    }
  }
  return absl::OkStatus();
}

// Moves the agent's new and open routed tickets away after they left
// (`why`): to their backup when that agent is online, else to the queue.
// Returns a note for the agent's event.
absl::StatusOr<std::string> DeskCore::RequeueWorkInTx(Transaction& tx, const Access& a,
                                                        const v1::Agent& agent,
                                                        absl::string_view why,
                                                        absl::Time now) {
  int64_t backup = 0;
  if (agent.backup_agent_id() != 0 && agent.backup_agent_id() != agent.id()) {
    absl::StatusOr<v1::Agent> b = tx.GetAgent(agent.backup_agent_id());
    if (b.ok() && !b->deactivated() && b->presence() == v1::PRESENCE_ONLINE) {
      backup = b->id();
    } else if (!b.ok() && !absl::IsNotFound(b.status())) {
      return b.status();
    }
  }
  TicketQuery q;
  q.assignee_id = agent.id();
  q.status_categories = {v1::STATUS_CATEGORY_NEW, v1::STATUS_CATEGORY_OPEN};
  q.sort = TicketSort::kIdAsc;
  q.limit = kMaxQueryLimit;
  int moved = 0;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(TicketPage page, tx.QueryTickets(q));
    for (v1::Ticket& t : page.tickets) {
      if (!RoutingItem(t).has_value()) continue;  // worked by hand
      const int64_t loaded = t.version();
      v1::Event e;
      e.set_kind(v1::Event::REQUEUED);
      AddChange(e.mutable_changes(), v1::FieldChange::ASSIGNEE, AgentValue(agent.id()),
                AgentValue(backup));
      e.set_related_agent_id(agent.id());
      e.set_note(backup != 0
                     ? absl::StrCat("agent ", agent.id(), " ", why,
                                    "; given to backup agent ", backup)
                     : absl::StrCat("agent ", agent.id(), " ", why, "; queued again"));
      t.set_assignee_id(backup);
      t.clear_routing_offer_expires_at();
      HELPDESK_RETURN_IF_ERROR(SaveWithEvent(tx, a, now, &t, loaded, &e));
      ++moved;
    }
    if (page.next_cursor.empty()) break;
    q.cursor = page.next_cursor;
  }
  if (moved == 0) return std::string();
  return backup != 0 ? absl::StrCat(moved, " tickets given to backup agent ", backup)
                     : absl::StrCat(moved, " tickets queued again");
}

// `t` as stored when routing placed it in the command that returned it.
absl::StatusOr<v1::Ticket> DeskCore::WithRouting(absl::StatusOr<v1::Ticket> t,
                                                 const std::vector<v1::Ticket>& routed) {
  if (!t.ok()) return t;
  for (auto it = routed.rbegin(); it != routed.rend(); ++it) {
    if (it->id() == t->id()) return *it;
  }
  return t;
}

namespace {

absl::Status RoutingOff(absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat(what, ": the desk does not route (DeskOptions::routing is unset)"));
}

}  // namespace

absl::StatusOr<v1::Ticket> Routing::NextTicketFor(const v1::Actor& actor, int64_t agent_id) {
  if (!impl_->routing_enabled()) return RoutingOff("NextTicketFor");
  // Who asks, and for whom.
  HELPDESK_ASSIGN_OR_RETURN(
      v1::Agent agent,
      impl_->Run(
          TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<v1::Agent> {
            HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
            HELPDESK_RETURN_IF_ERROR(
                Authorize(a, Action::kPullWork, Subject::Agent(agent_id)));
            return DeskCore::GetAgentNamed(tx, "agent_id", agent_id);
          }));
  if (agent.deactivated() || agent.presence() != v1::PRESENCE_ONLINE) {
    return absl::FailedPreconditionError(
        absl::StrCat("agent ", agent_id, " is ",
                     agent.deactivated() ? "deactivated" : PresenceName(agent.presence()),
                     "; only online agents take tickets"));
  }
  absl::MutexLock lock(&impl_->routing_mu());
  const absl::Time now = impl_->Now();
  // The desk lease (issue 17): the routing state lives in its holder.
  HELPDESK_ASSIGN_OR_RETURN(DeskCore::LeaseView lease, impl_->RenewLease(now));
  if (!lease.held) {
    return absl::UnavailableError(absl::StrCat(
        "NextTicketFor: routing runs in the process holding the desk lease ('",
        lease.holder, "'), not in this one"));
  }
  if (lease.taken_over) impl_->MarkRoutingDirtyLocked();
  for (int attempt = 0; attempt < 1000; ++attempt) {
    HELPDESK_RETURN_IF_ERROR(impl_->EnsureFreshLocked(now));
    absl::StatusOr<Assignment> a = impl_->routing().policy().NextFor(agent_id, now);
    if (absl::IsNotFound(a.status())) {
      return absl::NotFoundError(
          absl::StrCat("agent ", agent_id,
                       ": no queued ticket fits their groups, skills and "
                       "free capacity"));
    }
    HELPDESK_RETURN_IF_ERROR(a.status());
    absl::StatusOr<v1::Ticket> t = impl_->CommitDecisionLocked(*a, now, false);
    if (!absl::IsFailedPrecondition(t.status())) return t;
    // Stale: the policy was corrected from the store; ask again.
  }
  return absl::InternalError("NextTicketFor: the policy kept proposing stale tickets");
}

absl::StatusOr<v1::Ticket> Routing::Accept(const v1::Actor& actor, int64_t ticket_id) {
  if (!impl_->routing_enabled()) return RoutingOff("Routing::Accept");
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Ticket> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
        HELPDESK_ASSIGN_OR_RETURN(
            v1::Ticket t,
            impl_->LoadTicket(tx, a, ticket_id, Action::kAcceptOrDeclineOffer));
        if (t.assignee_id() == 0 || !t.has_routing_offer_expires_at()) {
          return absl::FailedPreconditionError(
              absl::StrCat("ticket ", ticket_id, " holds no offer to accept"));
        }
        const absl::Time now = impl_->Now();
        const int64_t loaded = t.version();
        v1::Event e;
        e.set_kind(v1::Event::OFFER_ACCEPTED);
        e.set_related_agent_id(t.assignee_id());
        e.set_note(absl::StrCat("agent ", t.assignee_id(), " accepted"));
        t.clear_routing_offer_expires_at();
        HELPDESK_RETURN_IF_ERROR(impl_->SaveWithEvent(tx, a, now, &t, loaded, &e));
        return t;
      });
}

absl::StatusOr<v1::Ticket> Routing::Decline(const v1::Actor& actor,
                                               int64_t ticket_id) {
  if (!impl_->routing_enabled()) return RoutingOff("Routing::Decline");
  absl::MutexLock lock(&impl_->routing_mu());
  const absl::Time now = impl_->Now();
  int64_t agent = 0;
  HELPDESK_ASSIGN_OR_RETURN(
      v1::Ticket t,
      impl_->RunOnce(
          TransactionMode::kReadWrite,
          [&](Transaction& tx) -> absl::StatusOr<v1::Ticket> {
            HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, actor));
            HELPDESK_ASSIGN_OR_RETURN(
                v1::Ticket t,
                impl_->LoadTicket(tx, a, ticket_id, Action::kAcceptOrDeclineOffer));
            if (!internal::IsRoutableStatus(t) || t.assignee_id() == 0) {
              return absl::FailedPreconditionError(
                  absl::StrCat("ticket ", ticket_id, " (", t.status(),
                               t.assignee_id() == 0 ? ", unassigned" : "",
                               ") is not a new or open ticket with an assignee"));
            }
            agent = t.assignee_id();
            HELPDESK_RETURN_IF_ERROR(
                impl_->DeclineInTx(tx, a, &t, OfferOutcome::kDeclined, now));
            return t;
          }));
  absl::StatusOr<DeskCore::LeaseView> lease = impl_->RenewLease(now);  // issue 17
  if (!lease.ok() || !lease->held || lease->taken_over) impl_->MarkRoutingDirtyLocked();
  if (lease.ok() && lease->held && impl_->EnsureFreshLocked(now).ok()) {
    impl_->AfterDeclineLocked(t, agent, OfferOutcome::kDeclined, now);
    impl_->RouteLocked(now, nullptr, nullptr).IgnoreError();
  }
  return t;
}

absl::StatusOr<v1::Event> Routing::LastDecision(const v1::Actor& viewer,
                                                    int64_t ticket_id) {
  HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                            impl_->AuditLog(viewer, ticket_id));
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->kind() == v1::Event::ROUTED) return *it;
  }
  return absl::NotFoundError(
      absl::StrCat("ticket ", ticket_id, ": routing never placed it"));
}

absl::StatusOr<RoutingSnapshot> Routing::State(const v1::Actor& viewer) {
  if (!impl_->routing_enabled()) return RoutingOff("Routing::State");
  absl::StatusOr<bool> allowed = impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<bool> {
        HELPDESK_ASSIGN_OR_RETURN(Access a, impl_->Resolve(tx, viewer));
        HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kReadRoutingState));
        return true;
      });
  HELPDESK_RETURN_IF_ERROR(allowed.status());
  absl::MutexLock lock(&impl_->routing_mu());
  HELPDESK_RETURN_IF_ERROR(impl_->EnsureFreshLocked(impl_->Now()));
  internal::RoutingMirror& r = impl_->routing();
  RoutingSnapshot snap;
  snap.policy = std::string(r.policy().Name());
  snap.queued = r.Queued();
  snap.assigned = static_cast<int64_t>(r.assigned());
  for (const auto& [key, items] : r.Load()) {
    snap.load.push_back({.agent_id = key.first, .channel = key.second, .items = items});
  }
  snap.next_wakeup = std::min(r.policy().NextWakeup(), r.NextOfferExpiry());
  return snap;
}

}  // namespace helpdesk
