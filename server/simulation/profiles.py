"""Who works where and how citizens rate them, for simulated history.

Clerks differ in speed, in how many citizens rate them and in how satisfied those are:
one or two clerks sit clearly below the 95 % target, the others above it. Each clerk also
has a "weak point", the conduct item most often given as a reason after a bad rating, so
the conduct Pareto of a report has a story to tell.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from protocol.conduct import CONDUCT_ITEMS, PRAISE_CODES, RawLevel
from server.config import Desk, SiteConfig

#: How often each 4 Xin / 4 Luôn item is praised, relative.
_PRAISE_WEIGHTS = {
    "xin_chao": 3.0,
    "xin_phep": 1.0,
    "xin_loi": 0.6,
    "xin_cam_on": 2.5,
    "luon_mim_cuoi": 2.5,
    "luon_nhe_nhang": 1.5,
    "luon_lang_nghe": 2.0,
    "luon_san_long_giup_do": 2.0,
}
#: How often each item is given as a reason for dissatisfaction, relative.
_REASON_WEIGHTS = {
    "khong_bo_sung_2_lan": 2.5,
    "khong_tre_hen": 2.0,
    "khong_huong_dan_mieng": 1.5,
    "luon_lang_nghe": 1.5,
    "khong_gay_phien_ha": 1.0,
    "luon_mim_cuoi": 1.0,
    "luon_nhe_nhang": 1.0,
    "luon_san_long_giup_do": 1.0,
    "khong_phat_sinh_ho_so": 0.8,
    "xin_chao": 0.7,
}
#: Conduct items in their official order (frozensets have no stable order).
PRAISE_ORDER = tuple(i.code for i in CONDUCT_ITEMS if i.code in PRAISE_CODES)
REASON_ORDER = tuple(i.code for i in CONDUCT_ITEMS)
#: Below 3 negative faces: neutral is the mildest, very dissatisfied the rarest.
_NEGATIVE_WEIGHTS = {
    RawLevel.NEUTRAL: 0.5,
    RawLevel.DISSATISFIED: 0.35,
    RawLevel.VERY_DISSATISFIED: 0.15,
}
PARTIAL_P = 0.07
SWAP_P = 0.2
PRAISE_P = 0.45
REASON_P = 0.8


@dataclass(frozen=True)
class ClerkProfile:
    clerk_id: str
    #: Service-time multiplier: 0.8 quick … 1.3 slow.
    speed: float
    #: Share of ratings that are positive (Rất hài lòng or Hài lòng).
    satisfied_p: float
    #: Share of "Rất hài lòng" among the positive ratings.
    top_p: float
    #: Share of this clerk's visits the citizen rates.
    response_p: float
    #: The conduct item most often given as a reason against this clerk.
    weak_point: str


@dataclass(frozen=True)
class RatingDraw:
    level: RawLevel
    praised: tuple[str, ...]
    reasons: tuple[str, ...]
    partial: bool


def clerk_profiles(config: SiteConfig, seed: int, site: str) -> dict[str, ClerkProfile]:
    """One profile per configured clerk, the same for every day of a history."""
    rng = random.Random(f"{seed}/{site}/clerks")
    ids = [c.id for c in config.clerks]
    low = set(rng.sample(ids, 0 if len(ids) < 2 else 1 if len(ids) < 5 else 2))
    return {
        cid: ClerkProfile(
            clerk_id=cid,
            speed=rng.uniform(0.8, 1.3),
            satisfied_p=rng.uniform(0.84, 0.90) if cid in low else rng.uniform(0.97, 0.995),
            top_p=rng.uniform(0.45, 0.75),
            response_p=rng.uniform(0.85, 0.97),
            weak_point=rng.choice(REASON_ORDER),
        )
        for cid in ids
    }


def draw_rating(
    rng: random.Random, clerk: ClerkProfile, levels: tuple[RawLevel, ...]
) -> RatingDraw:
    """A citizen's answer on a pad offering ``levels``: praise only after a positive
    level, reasons only after a negative one, nothing more on a partial answer."""
    partial = rng.random() < PARTIAL_P
    if rng.random() < clerk.satisfied_p:
        top = rng.random() < clerk.top_p
        level = RawLevel.VERY_SATISFIED if top else RawLevel.SATISFIED
        praised = () if partial or rng.random() > PRAISE_P else _pick(rng, _PRAISE_WEIGHTS, 3)
        return RatingDraw(level, praised, (), partial)
    negative = [lv for lv in levels if not lv.official.positive]
    level = rng.choices(negative, [_NEGATIVE_WEIGHTS.get(lv, 1.0) for lv in negative])[0]
    weights = dict(_REASON_WEIGHTS)
    weights[clerk.weak_point] = weights.get(clerk.weak_point, 0.4) * 5
    reasons = () if partial or rng.random() > REASON_P else _pick(rng, weights, 2)
    return RatingDraw(level, (), reasons, partial)


def _pick(rng: random.Random, weights: dict[str, float], most: int) -> tuple[str, ...]:
    """1 … ``most`` distinct items, by weight, in the official order."""
    pool = dict(weights)
    chosen: set[str] = set()
    for _ in range(rng.randint(1, most)):
        codes = sorted(pool)
        code = rng.choices(codes, [pool[c] for c in codes])[0]
        chosen.add(code)
        del pool[code]
    return tuple(c for c in REASON_ORDER if c in chosen)


def roster(config: SiteConfig, rng: random.Random, *, saturday: bool) -> dict[str, str]:
    """Desk → clerk for one day, in desk order.

    Each clerk has a desk of their own (the n-th clerk the n-th desk); a spare clerk
    sometimes stands in for a colleague; on about one day in five two clerks swap desks,
    so per-clerk and per-desk figures differ. With fewer clerks than desks, or on a
    Saturday (about half the desks), the desks that cover the most services open.
    """
    clerks = [c.id for c in config.clerks]
    count = min(len(config.desks), len(clerks))
    if saturday:
        count = max(1, (count + 1) // 2)
    desks = _covering(config.desks, count)
    own = {d.id: clerks[i] for i, d in enumerate(config.desks) if i < len(clerks)}
    free = [c for c in clerks if c not in {own.get(d.id) for d in desks}]
    out: dict[str, str] = {}
    for d in desks:
        out[d.id] = own.get(d.id) or free.pop(0)
    if free and rng.random() < 0.3:  # a spare clerk stands in for one on leave
        out[rng.choice(sorted(out))] = free.pop(0)
    if len(out) >= 2 and rng.random() < SWAP_P:
        a, b = rng.sample(sorted(out), 2)
        out[a], out[b] = out[b], out[a]
    return out


def _covering(desks: list[Desk], count: int) -> list[Desk]:
    """``count`` desks, chosen greedily to serve as many services as possible."""
    chosen: list[Desk] = []
    covered: set[str] = set()
    for _ in range(count):
        rest = [d for d in desks if d not in chosen]
        best = max(rest, key=lambda d: (len(set(d.services) - covered), -desks.index(d)))
        chosen.append(best)
        covered |= set(best.services)
    return [d for d in desks if d in chosen]
