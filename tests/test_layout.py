"""The tree shows the architecture: each folder is one layer, and every import points to
the same layer or one below it, so a layer can be read (and tested) without those above."""
import ast
import re
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "lib" / "meterlab"
#: Bottom to top. A module belongs to the longest entry its dotted name starts with.
#: ``learn`` sits below the producers: the onset MLP signal loads the model it defines.
LAYERS = (
    ("config", "formats"),
    ("thirdparty",),
    ("engine",),
    ("data",),
    ("learn",),
    ("dsp",),
    ("analyses",),
    ("signals",),
    ("evaluate",),
    ("data.build",),
    ("tracker",),
    ("prediction", "cli", "api", "commands", ""),
)


def _module_name(path):
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(name):
    matches = [(len(prefix), index) for index, prefixes in enumerate(LAYERS)
               for prefix in prefixes
               if name == prefix or name.startswith(prefix + ".") or prefix == ""]
    return max(matches)[1]


def _imports(path):
    """Project modules (relative to the package) that ``path`` imports."""
    name = _module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    package = [part for part in package if part]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                dotted = f"{target}.{alias.name}".strip(".")
                is_module = (PACKAGE / Path(*dotted.split("."))).with_suffix(".py").is_file() \
                    or (PACKAGE / Path(*dotted.split(".")) / "__init__.py").is_file()
                found.add(dotted if is_module else target)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("meterlab"):
            raise AssertionError(f"{path}: absolute project import inside the package")
    return found


def _graph():
    return {_module_name(path): _imports(path) for path in PACKAGE.rglob("*.py")}


def test_every_import_points_down():
    upward = [f"{name} ({LAYERS[_layer(name)]}) imports {target} ({LAYERS[_layer(target)]})"
              for name, targets in _graph().items() for target in targets
              if _layer(target) > _layer(name)]
    assert upward == []


def test_no_import_cycles():
    graph = _graph()
    state = {}

    def visit(name, trail):
        if state.get(name) == "done":
            return
        assert state.get(name) != "open", " -> ".join(trail + [name])
        state[name] = "open"
        for target in graph.get(name, ()):
            visit(target, trail + [name])
        state[name] = "done"

    for name in graph:
        visit(name, [])


def test_module_paths_are_built_from_strings_only_in_the_registry():
    builders = re.compile(r"import_module\(|__import__\(|f\"meterlab\.|f'meterlab\.")
    offenders = [str(path.relative_to(REPO)) for root in ("lib", "scripts")
                 for path in (REPO / root).rglob("*.py")
                 if builders.search(path.read_text())]
    assert offenders == ["lib/meterlab/engine/registry.py"]
