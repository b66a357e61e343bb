"""Models as scikit-learn's and TensorFlow's exporters write them (built by examples/onnx-models/make_models.py with
Debian's python3-onnx) run from C# on ONNX Runtime (examples/onnx-models/onnx_models.ipynb) with numpy's outputs."""
import json
import re
import shutil
import subprocess

import numpy as np

from conftest import ROOT, ganymede

EXAMPLE = ROOT / "examples" / "onnx-models"


def test_the_example_notebook_runs_a_scikit_learn_and_a_tensorflow_style_model(built, tmp_path):
    subprocess.run(["/usr/bin/python3", EXAMPLE / "make_models.py", tmp_path], check=True, capture_output=True)
    shutil.copy(EXAMPLE / "onnx_models.ipynb", tmp_path)
    printed = ganymede("script", "run", "onnx_models.ipynb", cwd=tmp_path)

    def line(prefix):
        return re.search(rf"^{prefix}: (.+)$", printed, re.M).group(1)
    iris = json.loads((tmp_path / "iris_classifier.sample.json").read_text())
    digits = json.loads((tmp_path / "digits_cnn.sample.json").read_text())
    assert [int(v) for v in line("iris labels").split()] == iris["outputs"]["label"]["data"]
    assert float(line("iris largest difference from numpy")) < 1e-5
    expected_classes = np.array(digits["outputs"]["dense"]["data"]).reshape(digits["outputs"]["dense"]["shape"]).argmax(axis=1)
    assert [int(v) for v in line("digits classes").split()] == expected_classes.tolist()
    assert float(line("digits largest difference from numpy")) < 1e-5
    assert line("float_input") == "float32 [?, 4]"
    assert line("input_1") == "float32 [unk__6, 28, 28, 1]"
