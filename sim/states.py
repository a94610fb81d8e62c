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
    none = 0
    lapse = 1
    team_closed = 2


LAPSE_REASON_NAMES = {LapseReason.lapse: "lapse", LapseReason.team_closed: "team_closed"}
