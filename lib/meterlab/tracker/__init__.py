"""meterlab's own beat and downbeat tracker: its training data, augmentation, decoding,
training and comparison with madmom (the network, its features and its checkpoint, which
the tracker analyses load, are in :mod:`meterlab.learn.tracker`).

madmom's networks were trained on recorded pop and dance music with drums; on performed
scores without drums they often lock to another metrical level. This project can make
exactly annotated performed music in any quantity, so it trains a tracker on it
(:mod:`.data`), on works the arbiter never sees (:mod:`.works`).
"""
