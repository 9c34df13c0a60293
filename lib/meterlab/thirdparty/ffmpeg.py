"""Decoding what libsndfile cannot (AAC/M4A, ALAC, WMA, ...) with the ffmpeg binary that
the ``imageio-ffmpeg`` wheel carries, so no system ffmpeg is needed.

ffmpeg converts the file once into a temporary mono float32 WAV at the file's own rate
(RF64 past 4 GB), which is then read like any other file: a block at a time, any slice
exactly (ffmpeg's own seeking in AAC is off by a few hundred samples), resampled by soxr.
The mixdown is ffmpeg's (``-ac 1``). Raw ``.aac`` streams keep the encoder's priming
(1024 samples, 23 ms at 44.1 kHz): only MP4 containers say how much to drop.
"""
import subprocess
import tempfile


class FfmpegError(Exception):
    """ffmpeg is missing or cannot decode the file; ``str()`` is the cause."""


def executable():
    """Path of the bundled ffmpeg binary; :class:`FfmpegError` when the wheel is absent."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise FfmpegError("no ffmpeg to try (pip install imageio-ffmpeg)") from None
    return imageio_ffmpeg.get_ffmpeg_exe()


def decoded_copy(path):
    """A temporary WAV holding ``path``'s audio as mono float32 (deleted when closed or
    collected); :class:`FfmpegError` naming ffmpeg's complaint when it cannot decode it."""
    copy = tempfile.NamedTemporaryFile(prefix="meterlab-", suffix=".wav")
    done = subprocess.run([executable(), "-hide_banner", "-v", "error", "-y", "-i", str(path),
                           "-vn", "-ac", "1", "-c:a", "pcm_f32le", "-rf64", "auto", "-f", "wav",
                           copy.name], capture_output=True, text=True, errors="replace")
    if done.returncode != 0:
        copy.close()
        lines = done.stderr.strip().splitlines()
        raise FfmpegError(f"ffmpeg cannot decode it either ({lines[-1] if lines else 'failed'})")
    return copy


def encode(source, target):
    """Re-encode ``source`` as ``target``, in the format its extension names (``.m4a``:
    AAC in MP4): test audio in the formats users hold."""
    done = subprocess.run([executable(), "-hide_banner", "-v", "error", "-y", "-i", str(source),
                           str(target)], capture_output=True, text=True, errors="replace")
    if done.returncode != 0:
        raise FfmpegError(f"{target}: ffmpeg cannot encode it ({done.stderr.strip()})")
