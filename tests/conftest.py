import os

pytest_plugins = ["cluster.fixtures"]

# Settings a developer's shell may export that would send tests (and the servers they start)
# to a real channel server, offline, or to another token: the suite runs without them.
for _name in ("SPECMERGE_CHANNEL_SERVER", "SPECMERGE_AIRGAPPED", "SPECMERGE_LICENSE_FILE", "SPECMERGE_TOKEN",
              "SPECMERGE_DAEMON_DIR", "SPECMERGE_DAEMON_IDLE"):
    os.environ.pop(_name, None)
# The commands a test runs run in their own process: no resident daemon is used or started
# (tests/cli/test_daemon.py turns it on, in a directory of its own).
os.environ["SPECMERGE_DAEMON"] = "off"

# Placeholders and ETags are keyed per installation (design.md §5). The suite uses one fixed
# key (a 0600 file of its own), so golden files and subprocesses agree, and no developer's
# real key is read or created.
import tempfile as _tempfile

_KEY_DIR = _tempfile.mkdtemp(prefix="specmerge-test-key-")
_KEY_FILE = os.path.join(_KEY_DIR, "redaction.key")
with open(os.open(_KEY_FILE, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as _f:
    _f.write(b"specmerge-test-suite-redaction-key-32")
os.environ["SPECMERGE_REDACTION_KEY_FILE"] = _KEY_FILE

# Mutation runs (pyproject [tool.mutmut]) use `--hypothesis-profile=mutmut`: the same examples
# for every mutant, so a mutant's verdict does not depend on the draw.
from hypothesis import settings as _settings

_settings.register_profile("mutmut", derandomize=True, database=None, deadline=None)
# No per-example deadline: it is a timed assertion, and on a shared 2-core machine a slow example
# is load, not a bug (speed is measured under bench/). `--hypothesis-profile` still overrides.
_settings.register_profile("specmerge", deadline=None)
_settings.load_profile("specmerge")
