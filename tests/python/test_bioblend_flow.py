"""The remote-training flow of the original system, driven by unmodified BioBlend 1.0.0 against a real server."""
import h5py
import nibabel
import numpy
import onnx
import pytest
from bioblend import ConnectionError as BioBlendError

from conftest import SHARED

TRAIN_SCRIPT = """
// Trains a tiny UNet for two steps on the uploaded data, found at the path the notebook used.
var file = H5File.Open("h5_datasets/covid.h5");
var x = file.Dataset("X_train").ReadTensor().permute(0, 3, 1, 2).contiguous().narrow(0, 0, 4);
var y = file.Dataset("y_train").ReadTensor().permute(0, 3, 1, 2).contiguous().narrow(0, 0, 4);
file.Dispose();
var model = new UNet(1, 1, 4, 2);
var optimizer = new Adam(model.parameters(), 1e-3f);
var losses = new List<float>();
for (int step = 0; step < 2; step++)
{
    optimizer.zero_grad();
    var loss = F.binary_cross_entropy_with_logits(model.call(x), y);
    loss.backward();
    optimizer.step();
    losses.Add(loss.item());
}
int[] InputShape = [1, 64, 64];
var results = H5File.Create("predictions.h5");
results.CreateDataset("logits", model.call(x).detach()).Dispose();
results.Commit();
results.Dispose();
Console.WriteLine($"trained on {Input("covid.h5")}: loss {losses[^1]:F4}");
"""


def upload(gi, history_id, path, **kwargs):
    result = gi.tools.upload_file(str(path), history_id, **kwargs)
    assert result["outputs"][0]["state"] in ("queued", "ok")
    return result


def history_with_data_and_script(gi, name, covid_h5, script):
    """A new history holding the packed CT data and the training script (written to the path given)."""
    history = gi.histories.create_history(name)
    h5 = upload(gi, history["id"], covid_h5)["outputs"][0]
    script.write_text(TRAIN_SCRIPT)
    return history, h5, upload(gi, history["id"], script)["outputs"][0]


def test_upload_detects_types_and_downloads_identical_bytes(server, covid_h5, tmp_path):
    gi = server.gi()
    history, h5, csx = history_with_data_and_script(gi, "uploads", covid_h5, tmp_path / "train.csx")
    pasted = gi.tools.paste_content("a,b\n1,2\n3,4\n", history["id"], file_name="table.csv")["outputs"][0]
    for d in (h5, csx, pasted):
        gi.datasets.wait_for_dataset(d["id"])
    shown = {d["name"]: d for d in (gi.datasets.show_dataset(x["id"]) for x in (h5, csx, pasted))}
    assert shown["covid.h5"]["file_ext"] == "h5"
    assert shown["train.csx"]["file_ext"] == "csx"
    assert shown["table.csv"]["file_ext"] == "csv"
    assert "X_train" in shown["covid.h5"]["peek"]
    path = gi.datasets.download_dataset(h5["id"], file_path=str(tmp_path), use_default_filename=True)
    assert path.endswith("-[covid.h5].h5")
    assert open(path, "rb").read() == covid_h5.read_bytes()
    state = gi.histories.show_history(history["id"])
    assert state["state"] == "ok" and state["state_details"]["ok"] == 3
    contents = gi.histories.show_history(history["id"], contents=True, details="all")
    assert [c["hid"] for c in contents] == [1, 2, 3] and all("download_url" in c for c in contents)
    assert len(gi.histories.show_matching_datasets(history["id"], r"covid\.h5")) == 1
    assert len(gi.datasets.get_datasets(history_id=history["id"], extension=["csv"], state="ok")) == 1


def test_run_script_job_trains_and_returns_onnx_arrays_and_zip(server, covid_h5, tmp_path):
    gi = server.gi()
    history, h5, code = history_with_data_and_script(gi, "remote training", covid_h5, tmp_path / "extracted_code.csx")
    # The original run_script_job's inputs, under the original tool's name.
    run = gi.tools.run_tool(history["id"], "run_jupyter_job", {
        "ml_h5_dataset_paths": "h5_datasets/covid.h5",
        "ml_h5_datasets": [{"src": "hda", "id": h5["id"]}],
        "select_file": {"src": "hda", "id": code["id"]},
    })
    job = gi.jobs.wait_for_job(run["jobs"][0]["id"], interval=1, maxwait=300)
    assert job["state"] == "ok", gi.jobs.show_job(run["jobs"][0]["id"], full_details=True)["stderr"]
    assert "trained on" in gi.jobs.show_job(job["id"], full_details=True)["stdout"]
    contents = {c["name"]: c for c in gi.histories.show_history(history["id"], contents=True)}
    assert {"Saved arrays", "Zipped files", "Log", "onnx_model_model.onnx", "predictions.h5"} <= set(contents)
    assert "logits: float32 [4, 1, 64, 64]" in gi.datasets.show_dataset(contents["predictions.h5"]["id"])["peek"]
    model = gi.datasets.download_dataset(contents["onnx_model_model.onnx"]["id"], file_path=str(tmp_path))
    onnx.checker.check_model(onnx.load(model), full_check=True)
    arrays = gi.datasets.download_dataset(contents["Saved arrays"]["id"], file_path=str(tmp_path))
    with h5py.File(arrays) as f:
        assert f["losses"].shape == (2,)
    outputs = gi.jobs.get_outputs(job["id"])
    assert {o["name"] for o in outputs} >= {"outfile_output_arrays", "outfile_output_zip", "onnx_model_model", "h5_predictions"}


def test_failing_script_ends_in_error_with_stderr(server, tmp_path):
    gi = server.gi()
    history = gi.histories.create_history("failure")
    script = tmp_path / "broken.csx"
    script.write_text('var x = 1;\nthrow new InvalidOperationException("the data is not what I expected");\n')
    code = upload(gi, history["id"], script)["outputs"][0]
    run = gi.tools.run_tool(history["id"], "ganymede_run_script", {"select_file": {"src": "hda", "id": code["id"]}})
    with pytest.raises(Exception):
        gi.jobs.wait_for_job(run["jobs"][0]["id"], interval=1, maxwait=300)
    job = gi.jobs.show_job(run["jobs"][0]["id"], full_details=True)
    assert job["state"] == "error" and job["exit_code"] == 1
    assert "the data is not what I expected" in job["stderr"]
    assert gi.histories.show_history(history["id"])["state"] == "error"


def test_train_unet_tool_writes_valid_onnx(server, covid_h5, tmp_path):
    gi = server.gi()
    history = gi.histories.create_history("train unet")
    h5 = upload(gi, history["id"], covid_h5)["outputs"][0]
    run = gi.tools.run_tool(history["id"], "ganymede_train_unet", {"data": {"src": "hda", "id": h5["id"]}, "epochs": 2, "base": 4, "size": 32})
    job = gi.jobs.wait_for_job(run["jobs"][0]["id"], interval=1, maxwait=600)
    assert job["state"] == "ok"
    outputs = {o["output_name"]: o for o in run["outputs"]}
    assert set(outputs) == {"model", "checkpoint", "metrics", "curves", "figure", "log"}
    model = gi.datasets.download_dataset(outputs["model"]["id"], file_path=str(tmp_path))
    proto = onnx.load(model)
    onnx.checker.check_model(proto, full_check=True)
    assert [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim][1:] == [1, 32, 32]
    assert gi.datasets.show_dataset(outputs["figure"]["id"])["file_ext"] == "png"
    metrics = gi.datasets.download_dataset(outputs["metrics"]["id"], file_path=str(tmp_path))
    assert len(open(metrics).read().strip().splitlines()) == 3  # header and two epochs

    # Predict with the trained model on a real CT volume: masks with the volume's own geometry come back.
    volume = upload(gi, history["id"], SHARED / "train_im.nii.gz")["outputs"][0]
    gi.datasets.wait_for_dataset(volume["id"])
    assert gi.datasets.show_dataset(volume["id"])["file_ext"] == "nii.gz"
    predicted = gi.tools.run_tool(history["id"], "ganymede_predict", {
        "model": {"src": "hda", "id": outputs["model"]["id"]}, "images": {"src": "hda", "id": volume["id"]}, "threshold": 0.5})
    assert gi.jobs.wait_for_job(predicted["jobs"][0]["id"], interval=1, maxwait=600)["state"] == "ok"
    masks = {o["output_name"]: o for o in predicted["outputs"]}["masks"]
    path = gi.datasets.download_dataset(masks["id"], file_path=str(tmp_path))
    image, mask = nibabel.load(str(SHARED / "train_im.nii.gz")), nibabel.load(path)
    assert mask.shape == image.shape and (mask.affine == image.affine).all()
    assert set(numpy.unique(mask.get_fdata())) <= {0.0, 1.0}


def test_errors_are_galaxy_style(server):
    gi = server.gi()
    with pytest.raises(BioBlendError) as missing:
        gi.histories.show_history("0123456789abcdef")
    assert missing.value.status_code in (400, 404) and "err_msg" in missing.value.body
    history = gi.histories.create_history("errors")
    with pytest.raises(BioBlendError) as no_input:
        gi.tools.run_tool(history["id"], "ganymede_train_unet", {})
    assert no_input.value.status_code == 400 and "data" in no_input.value.body
    with pytest.raises(BioBlendError) as unknown_tool:
        gi.tools.run_tool(history["id"], "no_such_tool", {})
    assert unknown_tool.value.status_code == 404


def test_other_users_cannot_see_or_change_a_history(server):
    alice, bob = server.gi(), server.gi(other_user=True)
    history = alice.histories.create_history("private")
    dataset = alice.tools.paste_content("secret\n", history["id"])["outputs"][0]
    assert history["id"] not in [h["id"] for h in bob.histories.get_histories()]
    for call in (lambda: bob.histories.show_history(history["id"]),
                 lambda: bob.histories.delete_history(history["id"]),
                 lambda: bob.datasets.show_dataset(dataset["id"]),
                 lambda: bob.tools.paste_content("x", history["id"])):
        with pytest.raises(BioBlendError) as denied:
            call()
        assert denied.value.status_code == 403
    assert alice.histories.show_history(history["id"])["deleted"] is False
