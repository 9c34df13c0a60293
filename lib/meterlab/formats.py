"""Which audio file types this installation decodes, by file extension.

Decoding goes through soundfile (libsndfile), whose formats depend on the libsndfile it
ships (MP3 needs libsndfile >= 1.1), and else through the ffmpeg binary of the
``imageio-ffmpeg`` wheel, which decodes AAC/M4A, ALAC, WMA and the rest. Without that
wheel those files are named as unsupported rather than failing as "corrupt".
"""
import importlib.util

import soundfile as sf

#: Extension -> the libsndfile major format that decodes it.
_DECODER_OF = {
    ".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".oga": "OGG", ".opus": "OGG",
    ".mp3": "MP3", ".aif": "AIFF", ".aiff": "AIFF", ".au": "AU",
}
#: Audio extensions only ffmpeg decodes here.
FFMPEG_AUDIO = (".m4a", ".aac", ".mp4", ".alac", ".wma", ".ape", ".webm", ".mka")
#: Whether the bundled ffmpeg is installed (``pip install imageio-ffmpeg``).
HAS_FFMPEG = importlib.util.find_spec("imageio_ffmpeg") is not None

#: Extensions this installation decodes (GTZAN's ``.au`` included).
AUDIO_EXTENSIONS = tuple(ext for ext, name in _DECODER_OF.items()
                         if HAS_FFMPEG or name in sf.available_formats()) + (
    FFMPEG_AUDIO if HAS_FFMPEG else ())
#: Audio extensions with no decoder here: convert them (e.g. to FLAC) first.
UNSUPPORTED_AUDIO = tuple(ext for ext in (*_DECODER_OF, *FFMPEG_AUDIO)
                          if ext not in AUDIO_EXTENSIONS)


def is_audio(path):
    return path.suffix.lower() in AUDIO_EXTENSIONS


def is_unsupported_audio(path):
    return path.suffix.lower() in UNSUPPORTED_AUDIO


def unsupported_cause(path):
    """Why ``path`` is not analysed, naming what is decoded instead and how to decode it."""
    return (f"{path.suffix.lower()} cannot be decoded by this installation "
            f"(libsndfile {sf.__libsndfile_version__} decodes "
            f"{', '.join(ext.lstrip('.') for ext in AUDIO_EXTENSIONS)}); "
            "pip install imageio-ffmpeg, or convert it, e.g. to FLAC")


def describe():
    """One line for ``--help`` and the README."""
    missing = (f"; not decoded: {', '.join(ext.lstrip('.') for ext in UNSUPPORTED_AUDIO)}"
               if UNSUPPORTED_AUDIO else "")
    return f"decoded here: {', '.join(ext.lstrip('.') for ext in AUDIO_EXTENSIONS)}{missing}"
