"""meterlab: learn a piece of music's meter (beats per bar) from audio.

Several independent *signals* score every candidate meter; a small learned *arbiter*
fuses their scores. See README.md for the workflow.
"""
