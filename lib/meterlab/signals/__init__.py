"""The signals: one module each, registered in :mod:`meterlab.registry`.

A signal reads one analysed file (:class:`meterlab.analysis.FileAnalysis`) and scores
every meter in :data:`meterlab.config.CANDIDATE_METERS`.
"""
