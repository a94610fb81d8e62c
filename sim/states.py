"""Citizen states (MODEL.md §2) and lapse reasons, as small integer codes shared by both engines."""

from enum import IntEnum


class State(IntEnum):
    waiting = 0
    in_programme = 1
    programme_dropout = 2
    deciding = 3
    member = 4
    not_handed_over = 5
    lapsed = 6


class LapseReason(IntEnum):
    """Why a membership ended (sports or patient channel); course_completed is not a lapse."""

    none = 0
    lapse = 1
    team_closed = 2
    course_completed = 3


LAPSE_REASON_NAMES = {r: r.name for r in LapseReason if r != LapseReason.none}
