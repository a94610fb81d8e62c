"""Citizen states (MODEL.md §2), patient-channel states, team status and lapse reasons, as small
integer codes shared by both engines."""

from enum import IntEnum


class State(IntEnum):
    waiting = 0
    in_programme = 1
    programme_dropout = 2
    deciding = 3
    member = 4
    not_handed_over = 5
    lapsed = 6


class PatientState(IntEnum):
    """A citizen in the patient-association channel (MODEL.md §4b), decided apart from the sports one."""

    unserved = 0  # no offering for its diagnosis at its centre
    eligible = 1  # has an offering, not taking part (yet)
    taking_part = 2
    left = 3  # lapsed, or its course completed


class TeamStatus(IntEnum):
    """A sports team: a dormant sister not opened yet, open, or closed for good (MODEL.md §3.5b, §3.7)."""

    dormant = 0
    open = 1
    closed = 2


class LapseReason(IntEnum):
    """Why a membership ended (sports or patient channel); course_completed is not a lapse."""

    none = 0
    lapse = 1
    team_closed = 2
    course_completed = 3


LAPSE_REASON_NAMES = {r: r.name for r in LapseReason if r != LapseReason.none}
