"""The vectorised Monte Carlo engine: a block of replications stepped together, week by week.

Citizen state lives in (replications × citizens) arrays, team state in (replications × teams)
arrays (sim.vector.teams). `Block.step` reads top to bottom as the weekly event order of MODEL.md §3
as docs/model.md reads it. Each step touches only the citizens that can be in its stage this week
(contiguous slices, sim.vector.layout) and draws only for those who need a draw, from their own
replication's generator (sim.vector.draws), so a replication's results do not depend on the block.
Equations come from sim.rules, exposure schedules from sim.policies.
"""

from __future__ import annotations

import numpy as np

from sim import rules
from sim.city import City
from sim.config import SimConfig
from sim.policies import Attend
from sim.population import sample_population
from sim.results import CITIZEN_ARRAYS, WEEKLY_COUNTS, RawRun
from sim.states import LapseReason, State
from sim.vector.draws import Streams
from sim.vector.layout import Layout, Week, build_layout
from sim.vector.teams import OPEN, Offerings, Teams

WAITING, IN_PROGRAMME, DROPOUT, DECIDING, MEMBER, NOT_HANDED_OVER, LAPSED = (np.int8(s) for s in State)
COMPLETED = (DECIDING, MEMBER, NOT_HANDED_OVER, LAPSED)
assert tuple(range(DECIDING, LAPSED + 1)) == COMPLETED  # so completed = state >= DECIDING
# The patient channel's own states (MODEL.md §4b): no offering for the citizen's diagnosis at its
# centre; eligible, not taking part (yet); taking part; left (lapsed or course completed).
UNSERVED, ELIGIBLE, TAKING_PART, LEFT = (np.int8(s) for s in range(4))


def _flat(mask: np.ndarray, columns: slice, n: int) -> np.ndarray:
    """Flat (replication * n + citizen) indices of the True entries of a mask over `columns`."""
    i = np.flatnonzero(mask)
    width = mask.shape[1]
    return (i // width) * n + columns.start + i % width


def _one_hot(index: np.ndarray, n: int) -> np.ndarray:
    """(len(index), n) float32 indicator: counting by matrix product is exact below 2**24."""
    return (index[:, None] == np.arange(n)).astype(np.float32)


def _admitted(group: np.ndarray, priority: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Per group (a team or offering of a replication, as a flat index into `room`), a uniformly
    random subset of its applicants up to its room: rank them by a uniform key within each group."""
    order = np.lexsort((priority, group))
    ranked = group[order]
    admitted = np.empty(len(group), bool)
    admitted[order] = np.arange(len(ranked)) - np.searchsorted(ranked, ranked) < room[ranked]
    return admitted


class Block:
    """The state of `replications` replications of one config, stepped together."""

    def __init__(self, cfg: SimConfig, city: City, layout: Layout, replications: np.ndarray) -> None:
        self.cfg, self.city, self.layout = cfg, city, layout
        self.streams = Streams(cfg.run.seed, replications)
        pops = [sample_population(cfg, city, rng) for rng in self.streams.population]
        for pop in pops:  # the layout relies on sim.population's schedule being deterministic
            if not (np.array_equal(pop.start_week, layout.start_week) and np.array_equal(pop.policy, layout.policy)):
                raise RuntimeError("population schedule differs between replications: the vector layout needs it fixed")
        n_reps, n = len(replications), len(layout)
        self.n_reps, self.n = n_reps, n
        self.resourcefulness = np.stack([p.resourcefulness for p in pops])
        self.expectation = np.stack([p.expectation for p in pops]).astype(np.float32)
        self.diagnosis = np.stack([p.diagnosis for p in pops])
        self.p_dropout = rules.dropout_prob(cfg, self.resourcefulness).astype(np.float32)
        shape = (n_reps, n)
        self.state = np.full(shape, WAITING, np.int8)
        self.h = np.zeros(shape, np.float32)  # habit
        self.s = np.zeros(shape, np.float32)  # bond to the current group
        self.f = np.zeros(shape, np.float32)  # familiarity with the partner club
        self.knows = np.full(shape, -1, np.int16)  # identity of the partner instructor last met
        self.redeemed = np.zeros(shape, bool)  # Vanløse gift card
        self.team = np.full(shape, -1, np.int16)
        self.handover_week = np.full(shape, -1, np.int16)
        self.lapse_week = np.full(shape, -1, np.int16)
        self.lapse_reason = np.zeros(shape, np.int8)
        # The patient-association channel (MODEL.md §4b), decided independently of the sports one.
        if len(city.offers) > np.iinfo(np.int8).max:
            raise ValueError("the vector engine stores offering indices as int8: too many patient offerings")
        self.offering = city.offers.of[layout.centre, self.diagnosis].astype(np.int8)  # eligible for, or -1
        self.patient_state = np.where(self.offering >= 0, ELIGIBLE, UNSERVED).astype(np.int8)
        self.presented = np.zeros(shape, bool)  # saw its association's presentation at the centre
        self.s_end = np.zeros(shape, np.float32)  # bond at programme end
        self.patient_join_week = np.full(shape, -1, np.int16)
        self.patient_lapse_week = np.full(shape, -1, np.int16)
        self.patient_reason = np.zeros(shape, np.int8)
        self.teams = Teams(cfg, city, n_reps)
        self.offerings = Offerings(city, n_reps)
        self.cost = np.zeros(n_reps)
        self.lapsed_by_centre = np.zeros((n_reps, city.n_centres), np.int32)
        weeks = cfg.run.horizon_weeks if cfg.run.weekly_table else 0
        self.weekly = np.zeros((n_reps, weeks, city.n_centres, len(WEEKLY_COUNTS)), np.int32)
        self.citizen_centre = _one_hot(layout.centre, city.n_centres)
        self.team_centre = _one_hot(city.team_centre, city.n_centres)
        self.offer_centre = _one_hot(city.offers.centre, city.n_centres)
        self.options = self._centre_teams()

    def _centre_teams(self) -> np.ndarray:
        """(centres, K) team indices of each centre's teams, padded with -1."""
        teams = [np.flatnonzero(self.city.team_centre == c) for c in range(self.city.n_centres)]
        out = np.full((len(teams), max(map(len, teams), default=0)), -1, np.intp)
        for c, t in enumerate(teams):
            out[c, : len(t)] = t
        return out

    def flat(self, name: str) -> np.ndarray:
        """A citizen array as a flat (replication * N + citizen) view."""
        return getattr(self, name).reshape(-1)

    # --- the week -------------------------------------------------------------------------------

    def step(self, t: int) -> None:
        """One week, in the order of MODEL.md §3."""
        week = self.layout.weeks[t]
        # Steps 1-4 change nobody's decision window (completers decide from next week on), so who
        # draws what this week is known now: one generator call per replication covers it.
        programme, deciders = self._in_programme(week), self._deciders(t, week)
        patients = self._patient_deciders(t, week)
        u_team, u_offer, u_programme, u_decide, u_patient = self._draw_week(week, programme, deciders, patients)
        self.teams.staff(t, u_team)  # 1
        self.offerings.staff(u_offer)  # 1, patient channel
        self.admit_intake(week)  # 2
        attended = self.run_programme_week(t, programme, u_programme)  # 3
        self.expose_free_weeks(t, week)  # 3 (Vanløse gift cards)
        self.complete_programmes(t, *attended)  # 4
        turned_away = self.decide_handover(t, deciders, u_decide)  # 5, sports channel
        self.decide_patient_association(t, patients, u_patient)  # 5, patient channel
        self.teams.open_sisters(t, turned_away)  # 5b
        # Who may leave in step 6 is known once step 5 is done: one generator call covers both channels.
        members, patients = self._members(), self._patient_members()
        u_club, u_meeting = self.streams.uniforms(self._per_rep(members), self._per_rep(patients))
        self.run_club_week(t, members, u_club)  # 6
        self.run_patient_meetings(t, patients, u_meeting)  # 6, patient channel
        self.settle_team_accounts(t)  # 7
        if self.weekly.shape[1]:
            self.record(t, week)  # 8

    def _in_programme(self, week: Week) -> np.ndarray:
        """Citizens in the programme this week (intake included), flat indices."""
        state = self.state[:, week.programme]
        return _flat((state == IN_PROGRAMME) | (state == WAITING), week.programme, self.n)

    def _deciders(self, t: int, week: Week) -> np.ndarray:
        """Deciding citizens whose window is open this week, flat indices."""
        window_open = self.layout.window_start[week.deciding] <= t
        return _flat((self.state[:, week.deciding] == DECIDING) & window_open, week.deciding, self.n)

    def _patient_deciders(self, t: int, week: Week) -> np.ndarray:
        """Eligible completers in their window (the sports one) who have not taken part yet, flat
        indices. Completers of this week decide from next week on, so this is known now."""
        cols = week.deciding
        since = t - self.layout.window_start[cols]
        window_open = (since >= 0) & (since < self.cfg.handover.window_weeks)
        completed = self.state[:, cols] >= DECIDING
        return _flat((self.patient_state[:, cols] == ELIGIBLE) & completed & window_open, cols, self.n)

    def _per_rep(self, idx: np.ndarray) -> np.ndarray:
        return np.bincount(idx // self.n, minlength=self.n_reps)

    def _draw_week(self, week: Week, programme: np.ndarray, deciders: np.ndarray,
                   patients: np.ndarray) -> list[np.ndarray]:
        """The week's uniforms known from the state at its start: one per team and per offering
        (instructors), a row per programme citizen (dropout, take-ups, gift card), two per decider
        (choice, admission) and two per patient-channel decider (join, admission)."""
        k, n_groups = week.programme_columns, self.city.n_teams + len(self.city.offers)
        u_group, u_programme, u_decide, u_patient = self.streams.uniforms(
            np.full(self.n_reps, n_groups), k * self._per_rep(programme), 2 * self._per_rep(deciders),
            2 * self._per_rep(patients),
        )
        u_group = u_group.reshape(self.n_reps, n_groups)
        return [u_group[:, : self.city.n_teams], u_group[:, self.city.n_teams :], u_programme.reshape(-1, k),
                u_decide.reshape(-1, 2), u_patient.reshape(-1, 2)]

    def admit_intake(self, week: Week) -> None:
        state = self.state[:, week.programme]
        state[state == WAITING] = IN_PROGRAMME

    def expose(self, idx: np.ndarray, f: np.ndarray, phi: np.ndarray | float, taken: np.ndarray) -> np.ndarray:
        """Exposure events at the partner club for `taken` among citizens `idx` with familiarity
        `f`: f grows; the citizen now knows the partner team's current instructor, if any."""
        rep, teams = idx // self.n, self.teams
        partner = (rep, self.layout.partner[idx % self.n])
        met = taken & teams.instructor[partner]
        knows = self.flat("knows")
        knows[idx[met]] = teams.changes[partner][met]
        return np.where(taken, rules.grow(f, phi), f)

    def run_programme_week(self, t: int, idx: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Step 3: dropout, else attend: h and s grow, then the week's exposure events; in
        programme week `patient.presentation_week` the attending eligible citizens see their
        patient association present itself. Returns the attending citizens and their uniforms."""
        cfg, lay = self.cfg, self.layout
        drop = u[:, 0] < self.flat("p_dropout")[idx]
        self.flat("state")[idx[drop]] = DROPOUT
        idx, u = idx[~drop], u[~drop]
        citizen, rep = idx % self.n, idx // self.n
        week = t - lay.start_week[citizen]
        h = self.flat("h")
        h[idx] = rules.grow(h[idx], cfg.programme.habit_growth)
        s = self.flat("s")
        s[idx] = rules.grow(s[idx], cfg.programme.bond_growth)
        r, f = self.flat("resourcefulness")[idx], self.flat("f")[idx]
        rows = np.arange(len(idx))
        for slot in range(lay.weeks[t].event_slots):
            attend = lay.event_attend[citizen, week, slot]
            drawn = u[rows, lay.event_column[citizen, week, slot]]
            taken = attend == Attend.ALWAYS
            if (attend == Attend.TRIAL).any():
                taken |= (attend == Attend.TRIAL) & (drawn < rules.trial_prob(cfg, r))
            if (attend == Attend.PARALLEL).any():
                went = (attend == Attend.PARALLEL) & (drawn < rules.parallel_prob(cfg, r, h[idx]))
                self.cost += cfg.vesterbro.price_session * np.bincount(rep[went], minlength=self.n_reps)
                taken |= went
            f = self.expose(idx, f, lay.event_phi[citizen, week, slot], taken)
        self.flat("f")[idx] = f
        presentation = idx[week == cfg.patient.presentation_week - 1]
        self.flat("presented")[presentation] = self.flat("patient_state")[presentation] == ELIGIBLE
        return idx, u

    def expose_free_weeks(self, t: int, week: Week) -> None:
        """Step 3, Vanløse: a redeemed gift card is one exposure event in each free week."""
        lay, cols = self.layout, week.free_weeks
        in_free_weeks = (lay.programme_end[cols] <= t) & (t < lay.window_start[cols])
        mask = self.redeemed[:, cols] & (self.state[:, cols] == DECIDING) & in_free_weeks
        if mask.any():
            idx = _flat(mask, cols, self.n)
            f = self.flat("f")
            f[idx] = self.expose(idx, f[idx], self.cfg.exposure.club_session, np.ones(len(idx), bool))

    def complete_programmes(self, t: int, idx: np.ndarray, u: np.ndarray) -> None:
        """Step 4: those attending their last programme week start deciding, with their bond at
        programme end noted; a gift card is offered now (its free weeks delay the window, see
        layout.window_start)."""
        cfg, lay = self.cfg, self.layout
        citizen = idx % self.n
        last = t - lay.start_week[citizen] == cfg.programme.weeks - 1
        self.flat("state")[idx[last]] = DECIDING
        self.flat("s_end")[idx[last]] = self.flat("s")[idx[last]]
        card = last & lay.gift_card[citizen]
        if card.any():
            drawn = u[np.arange(len(idx)), lay.redeem_column[citizen]]
            p = rules.redeem_prob(cfg, self.flat("resourcefulness")[idx], self.flat("f")[idx])
            redeem = card & (drawn < p)
            self.flat("redeemed")[idx[redeem]] = True
            self.cost += cfg.vanlose.card_value * np.bincount(idx[redeem] // self.n, minlength=self.n_reps)

    def _choose(self, t: int, idx: np.ndarray, u: np.ndarray, free: np.ndarray) -> np.ndarray:
        """Multinomial logit over the open teams of the citizen's centre with free capacity and the
        outside option (utility 0). Returns the chosen team, -1 for none."""
        cfg, city, lay, teams = self.cfg, self.city, self.layout, self.teams
        citizen, rep = idx % self.n, idx // self.n
        options = self.options[lay.centre[citizen]]
        team = np.maximum(options, 0)
        at = (rep[:, None], team)
        available = (options >= 0) & (free[at] > 0)
        # Drop the columns nobody can choose (mostly dormant sister teams): they add 0 to every sum.
        keep = available.any(axis=0)
        if not keep.any():
            return np.full(len(idx), -1)
        if not keep.all():
            options, team, available = options[:, keep], team[:, keep], available[:, keep]
            at = (rep[:, None], team)
        knows = (team == lay.partner[citizen][:, None]) & teams.instructor[at]
        knows &= teams.changes[at] == self.flat("knows")[idx][:, None]
        base = rules.citizen_utility(cfg, self.flat("resourcefulness")[idx], self.flat("h")[idx],
                                     t - lay.window_start[citizen])
        utility = rules.team_utility(
            cfg, base[:, None], city.team_attract[team], city.team_quality[team],
            self.flat("expectation")[idx][:, None], city.team_partner_club[team],
            self.flat("f")[idx][:, None], self.flat("s")[idx][:, None], knows,
        )
        cumulative = np.cumsum(np.where(available, np.exp(utility), 0.0), axis=1)
        pick = (cumulative <= (u * (1.0 + cumulative[:, -1]))[:, None]).sum(axis=1)
        chosen = np.full(len(idx), -1)
        some = pick < options.shape[1]
        chosen[some] = team[some, pick[some]]
        return chosen

    def decide_handover(self, t: int, idx: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Step 5: choices, admission up to free capacity, window closing. Returns the choosers
        turned away per (replication, listed team)."""
        city, n_teams = self.city, self.city.n_teams
        turned_away = np.zeros((self.n_reps, city.n_listed), np.int64)
        if len(idx) == 0:
            return turned_away
        free = self.teams.free_capacity()
        choice = self._choose(t, idx, u[:, 0], free)
        chose = choice >= 0
        who, team, priority = idx[chose], choice[chose], u[chose, 1]
        rep = who // self.n
        admitted = _admitted(rep * n_teams + team, priority, free.reshape(-1))
        self.join(who[admitted], team[admitted], t)
        rejected = rep[~admitted] * city.n_listed + city.team_listed[team[~admitted]]
        turned_away += np.bincount(rejected, minlength=turned_away.size).reshape(turned_away.shape)
        window_over = t - self.layout.window_start[idx % self.n] == self.cfg.handover.window_weeks - 1
        state = self.flat("state")
        closing = idx[window_over & (state[idx] == DECIDING)]
        state[closing] = NOT_HANDED_OVER
        return turned_away

    def decide_patient_association(self, t: int, idx: np.ndarray, u: np.ndarray) -> None:
        """Step 5, patient channel, after the sports decisions and independent of them: each
        decider takes part with `rules.patient_join_prob` (bond at programme end) if its offering
        has free capacity now; an oversubscribed offering admits a uniformly random subset, the rest
        try again next week while their window is open."""
        if len(idx) == 0:
            return
        offers, n_offers = self.city.offers, len(self.city.offers)
        rep, offer = idx // self.n, self.flat("offering")[idx]
        free = self.offerings.free_capacity()
        p = rules.patient_join_prob(
            self.cfg, self.flat("resourcefulness")[idx], self.flat("s_end")[idx], self.flat("presented")[idx],
            ~offers.staff_run[offer], t - self.layout.window_start[idx % self.n],
        )
        wants = (free[rep, offer] > 0) & (u[:, 0] < p)
        who, offer, group = idx[wants], offer[wants], rep[wants] * n_offers + offer[wants]
        admitted = _admitted(group, u[wants, 1], free.reshape(-1))
        self.join_patient(who[admitted], offer[admitted], t)

    def join_patient(self, idx: np.ndarray, offer: np.ndarray, t: int) -> None:
        self.flat("patient_state")[idx] = TAKING_PART
        self.flat("patient_join_week")[idx] = t
        self.offerings.add_members(idx // self.n * len(self.city.offers) + offer)

    def join(self, idx: np.ndarray, team: np.ndarray, t: int) -> None:
        """On joining, s <- bond_carry·s on a team of the partner club, else 0 (a new group)."""
        s = self.flat("s")
        s[idx] = np.where(self.city.team_partner_club[team], self.cfg.club.bond_carry * s[idx], 0.0)
        self.flat("team")[idx] = team
        self.flat("handover_week")[idx] = t
        self.flat("state")[idx] = MEMBER
        self.teams.add_members(idx // self.n * self.city.n_teams + team)

    def _members(self) -> np.ndarray:
        """Members of sports teams, flat indices."""
        return np.flatnonzero(self.state == MEMBER)

    def _patient_members(self) -> np.ndarray:
        """Members of patient-association offerings, flat indices."""
        return np.flatnonzero(self.patient_state == TAKING_PART)

    def run_club_week(self, t: int, idx: np.ndarray, u: np.ndarray) -> None:
        """Step 6: members of teams meeting with an instructor grow h and s; then every member may
        lapse, with the team's vacancy, `changed` and size as they stand now (after joins)."""
        cfg, city, teams = self.cfg, self.city, self.teams
        if len(idx) == 0:
            return
        rep, team = idx // self.n, self.flat("team")[idx]
        at = (rep, team)
        meets = teams.instructor[at]  # sports teams meet weekly; without an instructor they do not
        h, s = self.flat("h"), self.flat("s")
        h[idx] = np.where(meets, rules.grow(h[idx], cfg.club.habit_growth), h[idx])
        s[idx] = np.where(meets, rules.grow(s[idx], rules.bond_rate(cfg, city.team_cafe[team])), s[idx])
        p = rules.lapse_prob(
            cfg, s[idx], h[idx], self.flat("resourcefulness")[idx], self.flat("expectation")[idx],
            city.team_quality[team], ~meets, t < teams.changed_until[at], teams.size[at] < cfg.team.min_size,
        )
        lapse = u < p
        self.leave(idx[lapse], t, LapseReason.lapse)

    def run_patient_meetings(self, t: int, idx: np.ndarray, u: np.ndarray) -> None:
        """Step 6, patient channel, for members `idx` (a uniform each): a course member leaves with
        reason course_completed in week join + course_weeks (not a lapse); otherwise, in a meeting
        week of its offering, a member lapses with `rules.patient_lapse_prob` (bond at programme end;
        vacancy of the volunteer post)."""
        offers, offerings = self.city.offers, self.offerings
        offer = self.flat("offering")[idx]
        course = offers.course_weeks[offer]
        done = (course > 0) & (t - self.flat("patient_join_week")[idx] >= course)
        meets = (t % offers.interval == 0)[offer] & ~done
        vacant = ~offerings.instructor.reshape(-1)[idx // self.n * len(offers) + offer]
        lapse = meets & (u < rules.patient_lapse_prob(self.cfg, self.flat("s_end")[idx], vacant))
        self.leave_patient(idx[done], offer[done], t, LapseReason.course_completed)
        self.leave_patient(idx[lapse], offer[lapse], t, LapseReason.lapse)

    def leave_patient(self, idx: np.ndarray, offer: np.ndarray, t: int, reason: LapseReason) -> None:
        self.offerings.remove_members(idx // self.n * len(self.city.offers) + offer)
        self.flat("patient_state")[idx] = LEFT
        self.flat("patient_lapse_week")[idx] = t
        self.flat("patient_reason")[idx] = reason

    def leave(self, idx: np.ndarray, t: int, reason: LapseReason) -> None:
        """Members lapse (their team loses them)."""
        rep, team = idx // self.n, self.flat("team")[idx]
        self.teams.remove_members(rep * self.city.n_teams + team)
        self.flat("state")[idx] = LAPSED
        self.flat("lapse_week")[idx] = t
        self.flat("lapse_reason")[idx] = reason
        centre = self.layout.centre[idx % self.n]
        lapsed = np.bincount(rep * self.city.n_centres + centre, minlength=self.lapsed_by_centre.size)
        self.lapsed_by_centre += lapsed.reshape(self.lapsed_by_centre.shape).astype(np.int32)

    def settle_team_accounts(self, t: int) -> None:
        """Step 7: accounts and closures. All closing teams are marked closed first, so nobody
        transfers into a team that closes the same week; then each disbands, in team order."""
        cost, closing = self.teams.settle()
        self.cost += cost
        if closing.any():
            self.teams.close(closing, t)
            for rep, team in zip(*np.nonzero(closing), strict=True):
                self.disband(int(rep), int(team), t)

    def disband(self, rep: int, team: int, t: int) -> None:
        """Members of a closed team, one at a time in random order: each moves with probability
        `team.transfer_prob` to a random open team of the same club and centre with free capacity,
        else lapses (reason team_closed). Rare: a loop with the replication's own generator."""
        cfg, city, teams, rng = self.cfg, self.city, self.teams, self.streams[rep]
        members = np.flatnonzero((self.team[rep] == team) & (self.state[rep] == MEMBER))
        siblings = np.flatnonzero((city.team_assoc == city.team_assoc[team])
                                  & (city.team_centre == city.team_centre[team]))
        capacity = city.team_capacity[siblings]
        for citizen in members[rng.permutation(len(members))]:
            size = city.team_regulars[siblings] + teams.members[rep, siblings]
            targets = siblings[(teams.status[rep, siblings] == OPEN) & (size < capacity)]
            if len(targets) and rng.random() < cfg.team.transfer_prob:
                target = int(targets[rng.integers(len(targets))])
                teams.move_member(rep, team, target)
                self.team[rep, citizen] = target
                self.s[rep, citizen] = 0.0  # a transfer is a new group
            else:
                self.leave(np.array([rep * self.n + citizen]), t, LapseReason.team_closed)

    def record(self, t: int, week: Week) -> None:
        """Step 8: the week's counts per centre."""
        cols, teams = week.recorded, self.teams
        state, by_centre = self.state[:, cols], self.citizen_centre[cols]
        open_ = teams.open.astype(np.float32)
        counts = {
            "in_programme": (state == IN_PROGRAMME).astype(np.float32) @ by_centre,
            "deciding": (state == DECIDING).astype(np.float32) @ by_centre,
            "members_sport": teams.members.astype(np.float32) @ self.team_centre,
            "members_patient": self.offerings.members.astype(np.float32) @ self.offer_centre,
            "lapsed": self.lapsed_by_centre,
            "teams_open": open_ @ self.team_centre,
            "instructors_vacant": (open_ * ~teams.instructor) @ self.team_centre,
        }
        for k, name in enumerate(WEEKLY_COUNTS):
            if name in counts:
                self.weekly[:, t, :, k] = counts[name]

    # --- outputs --------------------------------------------------------------------------------

    def citizen_arrays(self) -> dict[str, np.ndarray]:
        """CITIZEN_ARRAYS of sim.results."""
        lay = self.layout

        def weeks(name: str) -> np.ndarray:  # -1 (never happened) -> NaN
            week = getattr(self, name)
            return np.where(week >= 0, week, np.nan)

        arrays = {
            "centre": np.broadcast_to(lay.centre.astype(np.int8), self.state.shape).copy(),
            "diagnosis": self.diagnosis,
            "resourcefulness": self.resourcefulness,
            "start_week": np.broadcast_to(lay.start_week.astype(np.int16), self.state.shape).copy(),
            "completed": np.isin(self.state, COMPLETED),
            "handover_week": weeks("handover_week"),
            "team": self.team,
            "lapse_week": weeks("lapse_week"),
            "lapse_reason": self.lapse_reason,
            "patient_join_week": weeks("patient_join_week"),
            "patient_lapse_week": weeks("patient_lapse_week"),
            "patient_reason": self.patient_reason,
        }
        assert set(arrays) == set(CITIZEN_ARRAYS)
        return arrays


def run_block(cfg: SimConfig, city: City, replications: np.ndarray) -> RawRun:
    """Run the replications `replications` of `cfg` together and return their raw arrays."""
    if cfg.run.horizon_weeks + cfg.instructor.continuity_weeks >= np.iinfo(np.int16).max:
        raise ValueError("the vector engine stores weeks as int16: run.horizon_weeks is too long")
    block = Block(cfg, city, build_layout(cfg, city), np.asarray(replications))
    for t in range(cfg.run.horizon_weeks):
        block.step(t)
    return RawRun(
        replication=np.asarray(replications),
        citizens=block.citizen_arrays(),
        weekly=block.weekly,
        teams=block.teams.outputs(),
        cost=block.cost,
    )
