"""The reports of the reports issue across offices, on the hub: the figures of a period
per office (each computed by the office's own report code from the office's rows in the
hub database, with the office's configuration), per group (``offices.group_name``) and
for the whole province, ranked by satisfaction; the official table per office; the
exports (xlsx, CSV).

Totals are never averages of percentages: the tallies of the offices (counts, and the
waiting and service times themselves) are merged and every figure is computed again
from the merge (`hub.reports.compute`).
"""
