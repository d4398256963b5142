"""Analysis of a service over time: baselines, trends, change points, anomalies, drift, budget.

Pure, like :mod:`autoopt.decide`: frozen values (numpy arrays inside frozen dataclasses) in
and out, no I/O, no clock, no global random state. Time is epoch seconds (UTC) passed in by
the caller; ``now`` is always a parameter. The adapters that turn metrics into these values
live in :mod:`autoopt.monitor`.
"""
