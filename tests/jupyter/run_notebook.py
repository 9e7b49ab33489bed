"""Execute examples/seed.ipynb with the tsr kernel through nbclient and check its outputs:
the training prints as it runs, the loss plot is an inline SVG, tensors are results with
an HTML table, the shape error cell fails with a coloured diagnostic, `:vars` is a table."""

import re
import sys

import nbclient
import nbformat


def outputs_of(cell, kind):
    return [o for o in cell.get("outputs", []) if o["output_type"] == kind]


def main(path):
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="tsr", timeout=120)
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    setup, train, plot, weights, error, variables = code

    assert outputs_of(setup, "execute_result"), setup
    assert "text/html" in outputs_of(setup, "execute_result")[0]["data"]

    text = "".join(o["text"] for o in outputs_of(train, "stream") if o["name"] == "stdout")
    losses = [float(x) for x in re.findall(r"loss ([0-9.e+-]+)", text)]
    assert len(losses) == 5, text
    assert losses[-1] < losses[0], text

    svg = outputs_of(plot, "display_data")
    assert len(svg) == 1 and svg[0]["data"]["image/svg+xml"].startswith("<svg"), plot.outputs

    result = outputs_of(weights, "execute_result")
    assert result and result[0]["data"]["text/plain"].startswith("tensor([["), weights.outputs
    assert "<table" in result[0]["data"]["text/html"]

    err = outputs_of(error, "error")
    assert len(err) == 1 and err[0]["ename"] == "shape::matmul", error.outputs
    assert "\x1b[" in "\n".join(err[0]["traceback"]), "the diagnostic is in colour"

    table = outputs_of(variables, "display_data")
    assert table and "<table" in table[0]["data"]["text/html"], variables.outputs
    for name in ("W1", "W2", "losses"):
        assert f">{name}</td>" in table[0]["data"]["text/html"], name

    print(f"{path}: {len(code)} code cells ran; loss {losses[0]} -> {losses[-1]}")
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "examples/seed.ipynb")
