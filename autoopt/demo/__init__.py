"""``autoopt demo``: the whole loop, offline, on a simulated production.

A GitOps repository with a bare origin is built in a directory, the simulator plays
production with a simulated clock, and the real workflows run on it: evaluate, propose (local
forge), merge, and reconcile stage by stage until the rollout is promoted or rolled back.
"""
