"""The paper's use case as C# notebooks (examples/covid-ct), executed end to end with nbconvert at a small size;
notebooks 5 and 6 train on a real server started on loopback and predict with the model that comes back."""
import os
import shutil
import subprocess
import tempfile

import nbformat
import pytest

from conftest import ROOT, SHARED, Server, ganymede

NOTEBOOKS = ["1_data", "2_train", "3_predict", "4_train_remote", "5_run_remote", "6_predict_remote"]


def outputs(notebook):
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]


def text(notebook):
    parts = []
    for o in outputs(notebook):
        if o.output_type == "stream":
            parts.append(o.text)
        elif "data" in o:
            parts.append(o.data.get("text/plain", ""))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def executed(built, tmp_path_factory):
    work = tmp_path_factory.mktemp("notebooks")
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "examples" / "covid-ct" / f"{name}.ipynb", work)
    prefix = tempfile.mkdtemp(prefix="ganymede-kernelspec-")
    ganymede("kernel", "install", "--prefix", prefix)
    small = {"GANYMEDE_EXAMPLE_DATA": str(SHARED), "GANYMEDE_EXAMPLE_SIZE": "64", "GANYMEDE_EXAMPLE_EPOCHS": "2", "GANYMEDE_EXAMPLE_BASE": "4"}
    saved = dict(os.environ)
    os.environ.update(small)  # the server's jobs (notebook 4, run remotely) see the same small settings
    server = Server(work / "server-data")
    os.environ.clear()
    os.environ.update(saved)
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    env.update(small)
    env.update({"JUPYTER_PATH": os.path.join(prefix, "share", "jupyter"), "GANYMEDE_URL": server.url, "GANYMEDE_API_KEY": server.key})
    results = {}
    try:
        for name in NOTEBOOKS:
            done = subprocess.run(["/usr/bin/jupyter", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=600",
                                   "--output", f"{name}.out.ipynb", f"{name}.ipynb"], cwd=work, env=env, capture_output=True, text=True)
            assert done.returncode == 0, f"{name} failed:\n{done.stderr[-4000:]}"
            results[name] = nbformat.read(work / f"{name}.out.ipynb", as_version=4)
    finally:
        server.stop()
    return results


def test_data_notebook_shows_slices_and_packs_h5(executed):
    nb = executed["1_data"]
    mimes = {m for o in outputs(nb) for m in o.get("data", {})}
    assert {"image/png", "image/svg+xml", "text/html"} <= mimes
    assert "50 slices of 512 x 512" in text(nb)
    assert nb.metadata.language_info.name == "csharp"


def test_training_notebook_shows_curves_and_saves_onnx(executed):
    nb = executed["2_train"]
    assert "best validation Dice" in text(nb)
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs(nb))


def test_prediction_notebook_reports_dice(executed):
    assert "MeanDice" in text(executed["3_predict"])
    assert any("image/png" in o.get("data", {}) for o in outputs(executed["3_predict"]))


def test_remote_training_and_prediction(executed):
    five = text(executed["5_run_remote"])
    assert "ok" in five and "onnx_model_unet.onnx" in five
    six = executed["6_predict_remote"]
    assert "onnx_model_unet.onnx" in text(six) and "MeanDice" in text(six)
