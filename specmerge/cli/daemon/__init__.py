"""A resident ``specmerge`` for the read-only commands, so a command pays a small client's
start-up instead of the interpreter's, Typer's and Helm's Go library's (issue #12).

- :mod:`.client`: what every proxied command runs first (builtin modules only);
- :mod:`.where`: which daemon a client may use, and where its socket is;
- :mod:`.wire`: the one-frame-each-way protocol;
- :mod:`.server` and :mod:`.running`: the daemon, and one command run as the client;
- :mod:`.spawn`: starting, asking and stopping one (``specmerge daemon ...``).
"""
