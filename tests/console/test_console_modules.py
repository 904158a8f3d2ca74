"""Laws of the page's pure modules (paths.js, textdiff.js), run in chromium by importing
the served modules, with Hypothesis generating the documents."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.service_harness import Server

KEYS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=0, max_size=6)
SIMPLE_KEYS = st.from_regex(r"[a-z][a-zA-Z0-9]{0,5}", fullmatch=True)
SCALARS = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(max_size=8)


def docs(keys: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    values = st.recursive(SCALARS | st.lists(SCALARS, max_size=3),
                          lambda inner: st.dictionaries(keys, inner, max_size=4), max_leaves=12)
    return st.dictionaries(keys, values, max_size=5)


LAWS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.fixture
def modules(page: Any, console_server: Server) -> Any:
    page.goto(f"{console_server.url}/console/")
    page.wait_for_function("() => document.querySelector('#login') !== null")
    return page


def run(page: Any, module: str, body: str, arg: Any) -> Any:
    return page.evaluate(f"async (arg) => {{ const m = await import('/console/js/{module}'); {body} }}", arg)


def test_reapplying_my_changes_onto_the_base_gives_my_document(modules: Any) -> None:
    @LAWS
    @given(base=docs(KEYS), mine=docs(KEYS))
    def law(base: dict[str, Any], mine: dict[str, Any]) -> None:
        got = run(modules, "paths.js", "return m.applyChanges(arg.base, m.changes(arg.base, arg.mine));",
                  {"base": base, "mine": mine})
        assert got == mine  # empty maps included: a map pruned by a removal is set again

    law()


def test_disjoint_edits_both_survive_a_reapply(modules: Any) -> None:
    @LAWS
    @given(base=docs(SIMPLE_KEYS), mine=st.dictionaries(SIMPLE_KEYS, SCALARS, min_size=1, max_size=3),
           theirs=st.dictionaries(SIMPLE_KEYS, SCALARS, min_size=1, max_size=3))
    def law(base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]) -> None:
        mine_doc = {**base, "mine": mine}
        their_doc = {**base, "theirs": theirs}
        got = run(modules, "paths.js", "return m.applyChanges(arg.theirs, m.changes(arg.base, arg.mine));",
                  {"base": base, "mine": mine_doc, "theirs": their_doc})
        assert got == {**base, "mine": mine, "theirs": theirs}

    law()


def test_every_leaf_is_found_on_its_line_in_yaml_and_json(modules: Any) -> None:
    @LAWS
    @given(doc=docs(SIMPLE_KEYS), as_json=st.booleans())
    def law(doc: dict[str, Any], as_json: bool) -> None:
        misses = run(modules, "editor.js", """
          const p = await import('/console/js/paths.js');
          const text = m.format(arg.doc, arg.asJson);
          const lines = text.split('\\n');
          const back = m.parse(text);
          if (JSON.stringify(back) !== JSON.stringify(arg.doc)) return ['round trip', text];
          return p.leaves(arg.doc).map(([ptr]) => p.parsePointer(ptr)).filter((segs) => {
            const line = p.lineOf(text, segs);
            const key = segs[segs.length - 1];
            const at = line > 0 ? lines[line - 1].trimStart().replace(/^(?:-\\s+)*/, '') : '';
            return ![`${key}:`, `'${key}':`, `"${key}":`].some((k) => at.startsWith(k));
          });""", {"doc": doc, "asJson": as_json})
        assert misses == []

    law()


def test_parse_errors_name_the_line(modules: Any) -> None:
    got = run(modules, "editor.js", """
      try { m.parse(arg); return null; } catch (e) { return [e.name, e.line, e.message]; }""",
              "a: 1\nb:\n  c: [1, 2\nd: 3\n")
    assert got is not None and got[1] in (3, 4, 5) and got[2]
    assert run(modules, "editor.js", "try { m.parse(arg); } catch (e) { return e.message; }", "- a\n- b\n") \
        == "the console layer must be a map of keys to values"
    assert run(modules, "editor.js", "return m.parse(arg);", "") == {}


def test_manifest_diff_shows_changed_lines_with_context(modules: Any) -> None:
    before = [{"template": "t/a.yaml", "index": 0, "text": "a\nb\nc\nd\ne\nf\ng\n"},
              {"template": "t/gone.yaml", "index": 0, "text": "x\n"}]
    after = [{"template": "t/a.yaml", "index": 0, "text": "a\nb\nc\nD\ne\nf\ng\n"},
             {"template": "t/new.yaml", "index": 0, "text": "y\n"}]
    got = run(modules, "textdiff.js", "return m.manifestDiff(arg.before, arg.after);", {"before": before, "after": after})
    assert [(d["key"], d["status"]) for d in got] == [("t/a.yaml#0", "changed"), ("t/gone.yaml#0", "removed"),
                                                      ("t/new.yaml#0", "added")]
    assert got[0]["lines"] == [[" ", "b"], [" ", "c"], ["-", "d"], ["+", "D"], [" ", "e"], [" ", "f"]]
    same = run(modules, "textdiff.js", "return m.manifestDiff(arg, arg);", before)
    assert same == []

