"""Simulated history: realistic past days for the demo and the benchmarks.

`plan` decides every visit of a day from a seed, purely (`days`: the calendar and the
arrivals; `profiles`: clerks, rosters and ratings; `office`: the day's run; `model`: what
it produces); `write` replays a plan through the queue engine and the rating rules, as a
real office would have produced it; `bulk` inserts the same rows directly, fast, for
benchmarks only.
"""
