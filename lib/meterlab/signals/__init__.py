"""The signals: one module each, registered in :mod:`meterlab.engine.registry`.

A signal reads one analysed file (:class:`meterlab.engine.file_analysis.FileAnalysis`) and scores
every meter in :data:`meterlab.config.CANDIDATE_METERS`.
"""
