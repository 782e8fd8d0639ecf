"""Executes a notebook headless, in its own folder, and writes the executed copy.

    python scripts/run-notebook.py notebooks/sweep.ipynb OUT.ipynb

Fails (exit 1, with the cell's traceback) if any cell raises."""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

source, target = Path(sys.argv[1]), Path(sys.argv[2])
notebook = nbformat.read(source, as_version=4)
client = NotebookClient(
    notebook,
    timeout=600,
    kernel_name="python3",
    resources={"metadata": {"path": str(source.parent.resolve())}},
)
try:
    client.execute()
except CellExecutionError as e:
    print(e, file=sys.stderr)
    sys.exit(1)
finally:
    nbformat.write(notebook, target)
