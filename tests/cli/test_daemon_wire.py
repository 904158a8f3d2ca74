"""The daemon's frames (specmerge.cli.daemon.wire): what one side writes, the other reads back,
whatever the argv and environment hold, however the bytes arrive; a cut or oversized frame
is an error, never a command."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmerge.cli.daemon import wire

NO_NUL = st.binary(max_size=40).map(lambda b: b.replace(b"\0", b""))


def _reader(data: bytes, chunk: int):  # type: ignore[no-untyped-def]
    """``recv`` over ``data`` that hands out at most ``chunk`` bytes a call (as a socket may)."""
    pos = 0

    def recv(n: int) -> bytes:
        nonlocal pos
        out = data[pos:pos + min(n, chunk)]
        pos += len(out)
        return out

    return recv


@given(argv=st.lists(NO_NUL, max_size=8), env=st.lists(NO_NUL.filter(bool), max_size=8), cwd=NO_NUL,
       umask=st.integers(0, 0o777), chunk=st.integers(1, 64), first=st.integers(0, 6))
def test_a_run_request_reads_back_as_it_was_written(argv, env, cwd, umask, chunk, first):  # type: ignore[no-untyped-def]
    data = wire.frame(wire.RUN, wire.run_fields(b"interp", cwd, umask, argv, env))
    op, fields = wire.read_frame(_reader(data[first:], chunk), data[:first])
    assert op == wire.RUN
    assert wire.split_run(fields) == (b"interp", cwd, umask, argv, env)


@given(st.binary(min_size=0, max_size=30), st.integers(1, 8))
def test_a_frame_cut_short_is_an_error(payload, chunk):  # type: ignore[no-untyped-def]
    data = wire.frame(wire.EXITED, [payload])
    for end in range(len(data)):
        with pytest.raises(wire.WireError):
            wire.read_frame(_reader(data[:end], chunk))


def test_an_oversized_or_malformed_frame_is_refused() -> None:
    with pytest.raises(wire.WireError, match="limit"):
        wire.read_frame(_reader((wire.MAX_FRAME + 1).to_bytes(4, "big"), 4))
    for fields in ([], [b"i", b"/", b"18"], [b"i", b"/", b"x", b"0"], [b"i", b"/", b"18", b"3", b"render"],
                   [b"i", b"/", b"18", b"-1"]):
        with pytest.raises(wire.WireError, match="malformed run request"):
            wire.split_run(fields)
