"""Helpers of the reconcile workflow: the rollout state machine, edits, trailers, controls.

This package sits in the workflow layer beside ``autoopt.reconcile`` and ``autoopt.controls``.
"""
