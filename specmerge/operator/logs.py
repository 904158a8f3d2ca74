"""JSON log lines: one object per line with ``ts``, ``level``, ``logger``, ``msg`` and, when the
record concerns one instance, ``instance`` (``ns/name``). Messages are built by the operator
from locators, reasons and masked text; no value or Secret byte is ever formatted into one."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        instance = getattr(record, "instance", None)
        if instance:
            line["instance"] = instance
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
        return json.dumps(line, ensure_ascii=False)


def configure(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()  # libraries' records (urllib3, kubernetes) become JSON lines too
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("specmerge").setLevel(level.upper())


__all__ = ["JsonFormatter", "configure"]
