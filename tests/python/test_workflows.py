"""The use case as a Galaxy workflow (examples/workflows/covid-ct.ga), driven by unmodified BioBlend."""
import json
import zipfile

import h5py
import pytest

from conftest import ROOT, SHARED, Server

WORKFLOW = ROOT / "examples" / "workflows" / "covid-ct.ga"


@pytest.fixture(scope="module")
def galaxy(built, tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("workflows"), "23.1")
    yield s
    s.stop()


def test_the_use_case_runs_as_a_workflow_from_bioblend(galaxy, tmp_path):
    gi = galaxy.gi()
    from_file = gi.workflows.import_workflow_from_local_path(str(WORKFLOW))
    from_dict = gi.workflows.import_workflow_dict(json.loads(WORKFLOW.read_text()))
    assert {from_file["id"], from_dict["id"]} <= {w["id"] for w in gi.workflows.get_workflows(name="COVID-19 CT infection segmentation")}
    shown = gi.workflows.show_workflow(from_file["id"])
    assert [shown["steps"][str(i)]["tool_id"] for i in range(5)] == [None, None, "ganymede_pack", "ganymede_train_unet", "ganymede_predict"]
    assert {i["label"] for i in shown["inputs"].values()} == {"CT images", "infection masks"}

    history = gi.histories.create_history("covid ct workflow")["id"]
    images = gi.tools.upload_file(str(SHARED / "train_im.nii.gz"), history)["outputs"][0]["id"]
    masks = gi.tools.upload_file(str(SHARED / "train_mask.nii.gz"), history)["outputs"][0]["id"]
    # Small and short: 32x32 slices, two epochs.
    invocation = gi.workflows.invoke_workflow(
        from_file["id"], history_id=history, inputs_by="name",
        inputs={"CT images": {"src": "hda", "id": images}, "infection masks": {"src": "hda", "id": masks}},
        params={"2": {"size": "32"}, "3": {"epochs": "2", "base": "4"}})
    done = gi.invocations.wait_for_invocation(invocation["id"], interval=1)
    for step in done["steps"]:
        for job in step["jobs"]:
            assert gi.jobs.wait_for_job(job["id"], interval=1)["state"] == "ok"
    outputs = gi.invocations.show_invocation(invocation["id"])["outputs"]
    assert set(outputs) == {"packed slices", "model", "metrics", "curves", "predicted masks", "figures"}

    def download(label, name):
        return gi.datasets.download_dataset(outputs[label]["id"], file_path=str(tmp_path / name), use_default_filename=False)

    with h5py.File(download("packed slices", "packed.h5"), "r") as f:
        assert f["X_train"].shape[1:] == (32, 32, 1)
        held_out = f["X_test"].shape[0]
    assert held_out == 10  # a fifth of the 50 slices
    assert len(open(download("metrics", "metrics.csv")).read().strip().splitlines()) == 1 + 2  # a header and two epochs
    with h5py.File(download("predicted masks", "masks.h5"), "r") as f:
        predicted = next(iter(f.values()))
        assert predicted.shape[0] == held_out and set(map(int, set(predicted[()].ravel()))) <= {0, 1}
    with zipfile.ZipFile(download("figures", "figures.zip")) as z:
        assert sum(name.endswith(".png") for name in z.namelist()) >= 1
