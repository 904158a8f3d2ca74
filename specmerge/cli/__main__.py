"""``python -m specmerge.cli ...``: the ``specmerge`` command."""

from . import main

main()
