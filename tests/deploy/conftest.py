import sys
from pathlib import Path

# the operator tests' helpers (operatorkit) are imported, not copied
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "operator"))
