"""From metrics to analysis: series and samples for :mod:`autoopt.analyze`, one service's
analysis (``autoopt analyze``) and the trigger signals of many services (``autoopt cycle``).

The workflows here read (metrics, documents) and hand frozen values to the pure
:mod:`autoopt.analyze`; rendering is in :mod:`autoopt.monitor.render` and
:mod:`autoopt.monitor.plot`.
"""
