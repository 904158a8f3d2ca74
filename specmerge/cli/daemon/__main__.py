"""``python -m specmerge.cli.daemon``: the resident process (started by :mod:`.spawn`)."""

from .server import main

raise SystemExit(main())
