"""Dependencies measured and left out, or chosen between (README "Dependencies and why").

Run: ``python3 bench/bench_deps.py`` — prints figures and rewrites bench/deps.md. Optional
contenders are measured only when installed (``pip install deepmerge ruamel.yaml.clibz``);
none of them is a dependency of specmerge.

- deepmerge vs ``specmerge.core.merge`` on the same three layers (Helm's rules: maps deep,
  lists replaced), deepmerge given a deep copy first since it merges in place.
- ruamel.yaml's C loaders: ``ruamel.yaml.clib`` (``_ruamel_yaml``, the "oldlibyaml" extra, which
  the ``YAML()`` API uses) vs ``ruamel.yaml.clibz`` (the "libyaml" extra, reachable only through a
  ``cyaml``-style loader class), vs the pure-Python loader. Same YAML 1.1 document, load only.
"""

from __future__ import annotations

import copy
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import layers, timeit, tree  # noqa: E402


def cpu_ms(fn: Callable[[], Any], repeat: int) -> float:
    """Median CPU time of ``fn`` in ms (after one warm-up): the machine is shared, and CPU time
    is what a loader costs whatever else runs beside it."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append((time.process_time() - t) * 1000)
    return statistics.median(times)

from specmerge.core import merge  # noqa: E402
from specmerge.core.dump import to_yaml  # noqa: E402

OUT = Path(__file__).with_name("deps.md")


def deepmerge_row(leaves: int) -> tuple[float, float] | None:
    if importlib.util.find_spec("deepmerge") is None:
        return None
    from deepmerge import Merger

    helm_like = Merger([(dict, ["merge"]), (list, ["override"])], ["override"], ["override"])
    ls = layers(leaves)

    def with_deepmerge() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for layer in ls:
            helm_like.merge(out, copy.deepcopy(layer.values))
        return out

    return cpu_ms(lambda: merge(ls), 11), cpu_ms(with_deepmerge, 11)


def loader_class(parser: type) -> Callable[[str], Any]:
    """A safe loader built on ``parser`` as ruamel's ``cyaml.CSafeLoader`` is built: the only way
    to reach clibz in ruamel.yaml 0.19, whose ``YAML()`` API knows only ``_ruamel_yaml``."""
    from ruamel.yaml.constructor import SafeConstructor
    from ruamel.yaml.resolver import Resolver

    class SafeLoader(parser, SafeConstructor, Resolver):  # type: ignore[misc, valid-type]
        def __init__(self, stream: str) -> None:
            parser.__init__(self, stream)
            self._parser = self._composer = self
            SafeConstructor.__init__(self, loader=self)
            Resolver.__init__(self, loadumper=self)

    def load(text: str) -> Any:
        loader = SafeLoader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()

    return load


def yaml_loaders(text: str) -> dict[str, float]:
    from ruamel.yaml import YAML

    def ruamel_api(pure: bool) -> Callable[[], Any]:
        y = YAML(typ="safe", pure=pure)
        y.version = (1, 1)
        return lambda: y.load(text)

    out: dict[str, float] = {}
    if importlib.util.find_spec("_ruamel_yaml") is not None:
        from _ruamel_yaml import CParser  # type: ignore[import-not-found]

        out["clib (`_ruamel_yaml`) through `YAML(typ='safe')`, YAML 1.1 — what specmerge runs"] = cpu_ms(ruamel_api(False), 7)
        clib = loader_class(CParser)
        out["clib through a cyaml-style loader class"] = cpu_ms(lambda: clib(text), 7)
    if importlib.util.find_spec("_ruamel_yaml_clibz") is not None:
        from _ruamel_yaml_clibz import CParser as ZParser  # type: ignore[import-not-found]

        clibz = loader_class(ZParser)
        out["clibz (`_ruamel_yaml_clibz`) through the same loader class"] = cpu_ms(lambda: clibz(text), 7)
    out["pure-Python loader (`YAML(typ='safe', pure=True)`), YAML 1.1"] = cpu_ms(ruamel_api(True), 3)
    return out


def main() -> None:
    lines = ["## Dependencies measured (README \"Dependencies and why\") — `python3 bench/bench_deps.py`", ""]
    row = deepmerge_row(10_000)
    if row is None:
        print("deepmerge not installed: skipped")
    else:
        ours, theirs = row
        print(f"merge 3 layers, 10k leaves: specmerge {ours:.2f} ms, deepmerge {theirs:.1f} ms ({theirs / ours:.0f}x)")
        lines.append(
            f"Merge of three 10,000-leaf layers (Helm's rules): **specmerge.core.merge {ours:.2f} ms** (with provenance "
            f"available) vs deepmerge {theirs:.1f} ms (deep copy + in-place merge, no provenance): **{theirs / ours:.0f}x slower**, "
            "so deepmerge is not used."
        )
        lines.append("")
    text = "# a large values file\n" + to_yaml(tree(11_000, 7))
    kb = len(text.encode()) / 1024
    lines += [f"YAML 1.1 load of a {kb:.0f} KB values file (load only, median CPU time):", "", "| loader | CPU ms |", "|---|---|"]
    for name, ms in yaml_loaders(text).items():
        print(f"yaml {kb:.0f} KB: {name}: {ms:.0f} ms")
        lines.append(f"| {name} | {ms:.0f} |")
    lines.append("")
    lines.append(f"Python {sys.version.split()[0]}; the machine is shared, so figures are CPU time (`time.process_time`), not wall time.")
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
