import os

pytest_plugins = ["cluster.fixtures"]

# Settings a developer's shell may export that would send tests (and the servers they start)
# to a real channel server, offline, or to another token: the suite runs without them.
for _name in ("SPECMERGE_CHANNEL_SERVER", "SPECMERGE_AIRGAPPED", "SPECMERGE_LICENSE_FILE", "SPECMERGE_TOKEN"):
    os.environ.pop(_name, None)
