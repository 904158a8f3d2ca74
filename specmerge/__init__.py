"""specmerge: the effective spec of a Helm-charted application, from ordered layers,
with the provenance of every value."""

__version__ = "0.1.0"
