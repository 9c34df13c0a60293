"""Cache versions: what a producer's output depends on, as one short digest.

A producer's version follows the data flow: the *content* of its own code and of the
project modules it uses (framework modules, which carry data without changing it, left
out), the version of every input (so the decoding code reaches every producer that
reads audio, directly or through an analysis), its libraries' versions and its model
file. Any of those changing invalidates that producer and its dependants; nothing else
does.

Code is hashed after parsing, with docstrings and the paths of project imports removed:
a comment, a docstring or a module moving to another folder changes no version, and so
costs no re-warm. :func:`source_files` lists the files behind a version, for the
Makefile.
"""
import ast
import hashlib
import importlib.metadata
import inspect
import types
from functools import lru_cache
from pathlib import Path

from . import audio, registry
from .cache import file_digest

#: The input name for decoded audio in a producer's ``NEEDS``.
AUDIO = "audio"
#: Distributions whose versions change the decoded samples.
AUDIO_LIBRARIES = ("soundfile", "soxr", "imageio-ffmpeg")
_PROJECT = __name__.partition(".")[0]
#: Packages whose modules carry data between producers and disk without changing it (the
#: engine: cache, atomic writes, the per-file context, the runner; the dataset readers).
#: A producer that imports one of them, for ``Unavailable`` say, does not depend on its
#: code. The decoding module, which does shape the samples, is reached through ``NEEDS``.
FRAMEWORK_PACKAGES = (__name__.rpartition(".")[0], f"{_PROJECT}.data")


def _is_framework(module):
    return any(module.__name__.startswith(package + ".") for package in FRAMEWORK_PACKAGES)


def _is_project(module):
    return module.__name__ == _PROJECT or module.__name__.startswith(_PROJECT + ".")


def _project_modules(module, seen=None):
    """``module`` and every project module it uses, directly or indirectly, by name.

    Modules of :data:`FRAMEWORK_PACKAGES` are neither listed nor followed (unless asked
    for themselves, as the decoding module is).
    """
    seen = {} if seen is None else seen
    seen[module.__name__] = module
    for value in vars(module).values():
        owner = value if isinstance(value, types.ModuleType) else inspect.getmodule(value)
        if (owner is not None and _is_project(owner) and owner.__name__ not in seen
                and not _is_framework(owner)):
            _project_modules(owner, seen)
    return seen


def _is_project_import(node):
    return isinstance(node, ast.ImportFrom) and (
        node.level or (node.module or "").split(".")[0] == _PROJECT)


class _Normalise(ast.NodeTransformer):
    """Drop what cannot change behaviour: docstrings, and where a project import comes
    from (the module it names is hashed on its own, found through the import graph), so
    each run of project imports becomes its names, one per import, in sorted order."""

    def generic_visit(self, node):
        super().generic_visit(node)
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            return node
        if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            body = body[1:] or ([] if isinstance(node, ast.Module) else [ast.Pass()])
        normalised, run = [], []
        for statement in body + [None]:
            if statement is not None and _is_project_import(statement):
                run.extend((alias.name, alias.asname or "") for alias in statement.names)
                continue
            normalised.extend(ast.ImportFrom(module=None, level=0,
                                             names=[ast.alias(name=name, asname=asname or None)])
                              for name, asname in sorted(run))
            run = []
            if statement is not None:
                normalised.append(statement)
        node.body = normalised
        return node


def _content_digest(path):
    """Digest of one source file's normalised syntax tree."""
    tree = _Normalise().visit(ast.parse(Path(path).read_text(), filename=str(path)))
    return hashlib.sha1(ast.dump(tree).encode()).hexdigest()


def _code_files(module):
    """The source files of ``module`` and the project modules it uses."""
    return {Path(inspect.getsourcefile(used)) for used in _project_modules(module).values()}


def library_version(name):
    """The installed version of the distribution ``name``; ``"absent"`` when not installed."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def _digest(files, libraries, assumed):
    digest = hashlib.sha1()
    for content in sorted(_content_digest(path) for path in files):
        digest.update(content.encode())
    for library in libraries:
        version = dict(assumed).get(library) or library_version(library)
        digest.update(f"{library}=={version}".encode())
    return digest


def _input_version(name, assumed):
    """Version of one entry of ``NEEDS``: decoded audio or a shared analysis."""
    if name == AUDIO:
        return _digest(_code_files(audio), AUDIO_LIBRARIES, assumed).hexdigest()[:16]
    return producer_version(registry.analysis_module(name), assumed)


@lru_cache(maxsize=None)
def producer_version(module, assumed=()):
    """Version string of a producer module (see the module docstring).

    ``assumed``, ``((library, version), ...)``, stands in for the installed versions of
    those libraries: the version the code would have under them (a shipped model's
    libraries), so that a library upgrade can be told apart from a code change.
    """
    digest = _digest(_code_files(module), getattr(module, "LIBRARIES", ()), assumed)
    for needed in getattr(module, "NEEDS", ()):
        digest.update(f"{needed}={_input_version(needed, assumed)}".encode())
    model_file = getattr(module, "model_file", None)
    if model_file is not None:
        path = model_file()
        digest.update(file_digest(path).encode() if path and Path(path).is_file() else b"none")
    return digest.hexdigest()[:16]


def analysis_version(name, assumed=()):
    """Version of the shared analysis ``name`` (under ``assumed`` library versions, see
    :func:`producer_version`)."""
    return producer_version(registry.analysis_module(name), tuple(sorted(dict(assumed).items())))


def signal_version(name, assumed=()):
    """Version of the signal ``name`` (under ``assumed`` library versions, see
    :func:`producer_version`)."""
    return producer_version(registry.signal_module(name), tuple(sorted(dict(assumed).items())))


def libraries(module):
    """The distributions whose versions are in ``module``'s version, its inputs' included."""
    names = set(getattr(module, "LIBRARIES", ()))
    for needed in getattr(module, "NEEDS", ()):
        names |= set(AUDIO_LIBRARIES if needed == AUDIO
                     else libraries(registry.analysis_module(needed)))
    return names


def _installed_libraries(modules):
    """``{library: installed version}`` of every distribution behind ``modules``' versions."""
    names = set().union(*(libraries(module) for module in modules))
    return {name: library_version(name) for name in sorted(names)}


def signal_libraries(signals):
    """``{library: installed version}`` of every distribution behind ``signals``' versions."""
    return _installed_libraries(registry.signal_module(name) for name in signals)


def analysis_libraries(analyses):
    """``{library: installed version}`` of every distribution behind ``analyses``' versions."""
    return _installed_libraries(registry.analysis_module(name) for name in analyses)


def clear():
    """Forget computed versions (after a producer's code, model or registry changed)."""
    producer_version.cache_clear()


#: The package's folder: a model file inside it (the committed tracker) is a project file.
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _packaged_model(module):
    """``module``'s model file when the package holds it (``make tracker`` rewrites it),
    so that Make re-runs what reads it; ``None`` otherwise (a user's own checkpoint is made
    by a step of the chain, which has its own rule)."""
    model_file = getattr(module, "model_file", None)
    path = model_file() if model_file is not None else None
    if not path:
        return None
    path = Path(path).resolve()
    return path if path.is_file() and path.is_relative_to(PACKAGE_DIR) else None


def source_files(module):
    """The project files whose content is in ``module``'s version, inputs' included.

    Library versions are in the version too, but are not project files; model files are,
    where the package holds them.
    """
    files = _code_files(module)
    model = _packaged_model(module)
    if model is not None:
        files.add(model)
    for needed in getattr(module, "NEEDS", ()):
        files |= (_code_files(audio) if needed == AUDIO
                  else source_files(registry.analysis_module(needed)))
    return files


def signal_sources():
    """Every project file behind any signal's version, and the registry itself."""
    files = {Path(registry.__file__)}
    for name in registry.SIGNALS:
        files |= source_files(registry.signal_module(name))
    return files
