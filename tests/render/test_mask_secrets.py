"""``mask_secrets``: a Secret keeps the chart's text outside ``data``/``stringData``, and no
value of those survives in any formatting a template may produce (block, flow, block
scalars, comments, odd keys); other documents are scrubbed of the values' secrets."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specmerge.core import Redactor, redact
from specmerge.core.loaders import load_yaml_1_1
from specmerge.render import Document, mask_secrets

HEAD = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: demo\n  labels:\n    app.kubernetes.io/version: "0.9.0"\n'


def masked(text: str) -> str:
    (doc,) = mask_secrets([Document("c/templates/s.yaml", 0, text)], Redactor())
    return doc.text


def load(text: str) -> dict:
    return load_yaml_1_1(text)  # as Helm (and mask_secrets) read manifests


def test_block_data_is_rewritten_and_the_rest_keeps_the_charts_text() -> None:
    text = HEAD + "type: Opaque\ndata:\n  password: c2VjcmV0LXB3\n  # a comment\n  user: YWRtaW4=\nimmutable: true\n"
    out = masked(text)
    assert out.startswith(HEAD + "type: Opaque\n")  # quoting and order as the chart wrote them
    assert load(out) == {**load(text), "data": {"password": redact("c2VjcmV0LXB3"), "user": redact("YWRtaW4=")}}
    assert "c2VjcmV0LXB3" not in out and "YWRtaW4=" not in out


def test_data_blocks_are_edited_in_place_and_other_shapes_rewritten_whole() -> None:
    flow = HEAD + 'data: {password: c2VjcmV0LXB3, "odd key": eA==}\n'
    scalar = HEAD + "stringData:\n  config.yaml: |\n    db:\n      password: hunter2-hunter2\n"
    json_doc = '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "j"}, "data": {"pw": "c2VjcmV0LXB3"}}'
    for text, field, secret, in_place in [(flow, "data", "c2VjcmV0LXB3", True),
                                          (scalar, "stringData", "hunter2-hunter2", True),
                                          (json_doc, "data", "c2VjcmV0LXB3", False)]:
        out = masked(text)
        obj = load(text)
        assert load(out) == {**obj, field: {k: redact(v) for k, v in obj[field].items()}}
        assert secret not in out
        if in_place:  # the chart's own text, quoting of "0.9.0" included (a rewrite drops the quotes)
            assert out.startswith(HEAD)
        else:
            assert out.startswith("apiVersion: v1\n")  # block YAML, no longer the one-line JSON


@pytest.mark.parametrize("text", [
    HEAD.replace("kind: Secret", "kind: Secret  # the chart's comment") + "data:\n  token: dG9rZW4tdmFsdWU=\n",
    HEAD.replace("kind: Secret", "kind: 'Secret'") + "data:\n  token: dG9rZW4tdmFsdWU=\n",
    '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "j"}, "data": {"token": "dG9rZW4tdmFsdWU="}}',
    "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: a}\n"
    "  stringData: {token: dG9rZW4tdmFsdWU=}\n",
    "apiVersion: v1\nkind: SecretList\nitems:\n- metadata: {name: a}\n  data: {token: dG9rZW4tdmFsdWU=}\n",
    HEAD + "data:\n  # token: dG9rZW4tdmFsdWU=\n  token: dG9rZW4tdmFsdWU=\n",
    HEAD + "# dG9rZW4tdmFsdWU= was the old token\ndata:\n  token: bmV3\n",
], ids=["comment-after-kind", "quoted-kind", "json", "list", "secret-list", "comment-in-data", "comment-outside"])
def test_a_secret_is_found_however_it_is_spelled(text: str) -> None:
    out = masked(text)
    assert "dG9rZW4tdmFsdWU=" not in out and "<redacted hmac:" in out
    assert "#" not in out  # comments may quote values: a Secret keeps none


def test_everything_else_in_a_document_holding_a_secret_is_scrubbed() -> None:
    """A ConfigMap beside a Secret in a List, or a Secret's annotation, may quote a value."""
    r = Redactor()
    r.learn({"mysql": {"password": "hunter2-hunter2"}})
    text = ("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n"
            "  data: {DSN: 'mysql://u:hunter2-hunter2@db'}\n- apiVersion: v1\n  kind: Secret\n"
            "  metadata: {name: s, annotations: {note: hunter2-hunter2}}\n  data: {pw: aHVudGVy}\n")
    (doc,) = mask_secrets([Document("c/templates/l.yaml", 0, text)], r)
    assert "hunter2-hunter2" not in doc.text and "aHVudGVy" not in doc.text


def test_a_secret_read_as_helm_reads_it_keeps_its_meaning() -> None:
    """0400 is octal to Helm (YAML 1.1): a full rewrite must keep 256, not make it 400."""
    text = '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "j"}, "data": {"k": "dg=="}}\n'
    yaml_octal = HEAD + "type: Opaque\nimmutable: yes\ndata:\n  k: dg==\nmode: 0400\n# c\n"
    assert load(masked(yaml_octal))["mode"] == 256 and load(masked(yaml_octal))["immutable"] is True
    assert load(masked(text))["data"] == {"k": redact("dg==")}


def test_an_escaped_kind_is_still_a_secret() -> None:
    text = '{"apiVersion": "v1", "kind": "Secr\\u0065t", "metadata": {"name": "e"}, "data": {"k": "c2VjcmV0LXZhbA=="}}'
    out = masked(text)
    assert "c2VjcmV0LXZhbA==" not in out and load(out)["data"] == {"k": redact("c2VjcmV0LXZhbA==")}


def test_a_broken_document_that_mentions_a_secret_is_not_shown() -> None:
    out = masked(HEAD + "data:\n  token: dG9rZW4tdmFsdWU=\n   bad: [indent\n")
    assert out.startswith("# Document not shown: it may hold Secret data and is not a YAML map")
    assert "dG9rZW4tdmFsdWU=" not in out


KEYS = st.one_of(st.text(alphabet=string.ascii_letters + string.digits + "-._ :#'\"", min_size=1, max_size=10),
                 st.sampled_from(["08", "0", "1e3", "yes", "on", "null", "~", "0x1F"]))  # YAML 1.1/1.2 traps
# every line of every value is marked, so finding one in the output is never a coincidence
VALUES = st.text(alphabet=string.ascii_letters + string.digits + "+/=\n -:#", min_size=4, max_size=20).map(
    lambda s: "\n".join("S3C" + part for part in s.split("\n")))


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(KEYS, VALUES, min_size=1, max_size=4), field=st.sampled_from(["data", "stringData"]),
       style=st.sampled_from(["block", "json", "flow"]))
def test_no_value_survives_in_any_style(data: dict[str, str], field: str, style: str) -> None:
    if style == "block":
        from specmerge.core.dump import to_yaml

        body = to_yaml({field: data})
    elif style == "json":
        body = f"{field}: {json.dumps(data)}\n"
    else:
        body = f"{field}:\n" + "".join(f"  {json.dumps(k)}: {json.dumps(v)}\n" for k, v in data.items())
    text = HEAD + body + "type: Opaque\n"
    out = masked(text)
    # what the reader made of the keys (a bare 08 may be a number): the masked output keeps exactly that
    assert load(out)[field] == {k: redact(v) for k, v in load(text)[field].items()}
    assert load(out)["type"] == "Opaque" and load(out)["metadata"]["name"] == "demo"
    for v in data.values():
        for line in v.split("\n"):
            assert len(line.strip()) <= 3 or line.strip() not in out, f"{line!r} survived"


def test_other_documents_are_scrubbed_and_reveal_is_identity() -> None:
    r = Redactor()
    r.learn({"mysql": {"password": "hunter2-hunter2"}})
    cm = Document("c/templates/cm.yaml", 0, "kind: ConfigMap\ndata:\n  dsn: mysql://u:hunter2-hunter2@db\n")
    (out,) = mask_secrets([cm], r)
    assert "hunter2-hunter2" not in out.text and redact("hunter2-hunter2") in out.text
    secret = Document("c/templates/s.yaml", 0, HEAD + "data:\n  password: aHVudGVy\n")
    assert mask_secrets([cm, secret], Redactor(reveal=True)) == [cm, secret]


def test_a_document_split_from_a_secrets_template_is_masked_whatever_it_parses_to() -> None:
    """Values can split a Secret's template (a `---` in a name) so its data lands in a document
    of another kind, or in one a quote turned into a single string: masked or not shown."""
    t = "c/templates/secret.yaml"
    docs = [Document(t, 0, HEAD + "type: Opaque\n"),
            Document(t, 1, "kind: ConfigMap\nz: y\ndata:\n  password: c2VjcmV0LXZhbHVlLTE=\n"),
            Document(t, 2, '"z\ndata:\n  password: c2VjcmV0LXZhbHVlLTI=\n"\n')]
    out = mask_secrets(docs, Redactor())
    assert all("c2VjcmV0LXZhbHVl" not in d.text for d in out)
    assert load(out[1].text)["data"] == {"password": redact("c2VjcmV0LXZhbHVlLTE=")}
    assert out[2].text.startswith("# Document not shown")
