"""The trained beat and downbeat tracker: its network, its input features, its checkpoint
(what the tracker analyses need; building its data and training it: :mod:`meterlab.tracker`)."""
