"""The tutorial notebook (docs/tutorials/brainstream_tour.ipynb) runs from
start to end, drawing its figures."""

from __future__ import annotations

from conftest import REPO, import_or_skip

NOTEBOOK = REPO / "docs" / "tutorials" / "brainstream_tour.ipynb"


def test_the_tutorial_notebook_runs_and_draws_its_figures():
    nbformat = import_or_skip("nbformat", "the notebook test needs nbformat, nbclient and ipykernel")
    nbclient = import_or_skip("nbclient", "the notebook test needs nbformat, nbclient and ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    images = sum(
        1
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    )
    assert images == 3, images
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    last = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "same as the built-in transformer: True" in last
