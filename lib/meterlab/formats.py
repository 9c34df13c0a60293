"""Which audio file types this installation decodes, by file extension.

Decoding goes through soundfile (libsndfile), whose formats depend on the libsndfile it
ships: MP3 needs libsndfile >= 1.1. AAC/M4A has no libsndfile decoder at all, so those
files are named as unsupported rather than failing as "corrupt".
"""
import soundfile as sf

#: Extension -> the libsndfile major format that decodes it.
_DECODER_OF = {
    ".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".oga": "OGG", ".opus": "OGG",
    ".mp3": "MP3", ".aif": "AIFF", ".aiff": "AIFF", ".au": "AU",
}
#: Audio extensions with no decoder here: convert them (e.g. to FLAC) first.
UNSUPPORTED_AUDIO = (".m4a", ".aac", ".mp4", ".alac", ".wma", ".ape")

#: Extensions this installation decodes (GTZAN's ``.au`` included).
AUDIO_EXTENSIONS = tuple(ext for ext, name in _DECODER_OF.items()
                         if name in sf.available_formats())


def is_audio(path):
    return path.suffix.lower() in AUDIO_EXTENSIONS


def is_unsupported_audio(path):
    return path.suffix.lower() in UNSUPPORTED_AUDIO


def unsupported_cause(path):
    """Why ``path`` is not analysed, naming what is decoded instead."""
    return (f"{path.suffix.lower()} cannot be decoded by this installation "
            f"(libsndfile {sf.__libsndfile_version__} decodes "
            f"{', '.join(ext.lstrip('.') for ext in AUDIO_EXTENSIONS)}); convert it, e.g. to FLAC")


def describe():
    """One line for ``--help`` and the README."""
    return (f"decoded here: {', '.join(ext.lstrip('.') for ext in AUDIO_EXTENSIONS)}; "
            f"not decoded: {', '.join(ext.lstrip('.') for ext in UNSUPPORTED_AUDIO)}")
