"""The COVID-19 use case made correct: one intensity contract on every prediction path, held-out evaluation, DICOM
in, errors in the user's words, and a training job whose progress the server shows while it runs."""
import json
import os
import shutil
import subprocess
import time

import h5py
import nibabel
import numpy
import pytest
from PIL import Image
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from conftest import ROOT, SHARED, Server, ganymede


def run(*args):
    """Runs ./ganymede and returns (exit code, stdout, stderr)."""
    done = subprocess.run([str(ROOT / "ganymede"), *map(str, args)], capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


def write_dicom_series(folder, volume_path):
    """The NIfTI volume as a CT series, one uncompressed file a slice, as a scanner would write it: geometry from the
    NIfTI's affine in DICOM's LPS frame, stored values rescaled (value = stored x 0.5 - 50), files in shuffled order."""
    image = nibabel.load(str(volume_path))
    data = numpy.asarray(image.dataobj).astype(numpy.float32)
    affine = image.affine
    lps = numpy.diag([-1, -1, 1])
    row_dir = lps @ affine[:3, 0] / numpy.linalg.norm(affine[:3, 0])   # along a row: the NIfTI's i axis (columns)
    col_dir = lps @ affine[:3, 1] / numpy.linalg.norm(affine[:3, 1])   # down a column: its j axis (rows)
    series = generate_uid()
    folder.mkdir()
    order = numpy.random.default_rng(0).permutation(data.shape[2])
    for n, k in enumerate(order):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(str(folder / f"IM{n:04d}"), {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID, ds.SOPInstanceUID, ds.SeriesInstanceUID, ds.Modality = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID, series, "CT"
        ds.InstanceNumber = int(n + 1)
        ds.ImagePositionPatient = [float(v) for v in lps @ (affine @ [0, 0, k, 1])[:3]]
        ds.ImageOrientationPatient = [float(v) for v in [*row_dir, *col_dir]]
        ds.Rows, ds.Columns = data.shape[1], data.shape[0]
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.RescaleSlope, ds.RescaleIntercept = 0.5, -50
        ds.PixelData = ((data[:, :, k].T + 50) * 2).astype(numpy.uint16).tobytes()
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(str(folder / f"IM{n:04d}"), write_like_original=False)
    return folder


@pytest.fixture(scope="module")
def galaxy(built, tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("server"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def model(built, tmp_path_factory):
    """A small model trained on whole slices (crop none), so that every input form can be compared pixel for pixel."""
    work = tmp_path_factory.mktemp("use-case")
    ganymede("data", "pack", "--images", SHARED / "train_im.nii.gz", "--masks", SHARED / "train_mask.nii.gz", "--out", work / "small.h5",
             "--size", "64", "--crop", "none", "--test", "0.2")
    ganymede("train", "--data", work / "small.h5", "--out", work / "model.onnx", "--epochs", "20", "--base", "8", "--run-dir", work / "run")
    return work


def probabilities_h5(path):
    with h5py.File(path, "r") as f:
        return f["y_pred"][:, :, :, 0]


def test_every_prediction_path_gives_the_same_probabilities(model, galaxy, tmp_path):
    work = model
    # Ten of the volume's slices (each spans the volume's whole 0-255 range): every path sees the same ones, at less cost.
    ct, ct_masks = tmp_path / "ct.nii.gz", tmp_path / "ct_masks.nii.gz"
    for source, part in ((SHARED / "train_im.nii.gz", ct), (SHARED / "train_mask.nii.gz", ct_masks)):
        image = nibabel.load(str(source))
        nibabel.save(nibabel.Nifti1Image(numpy.asarray(image.dataobj)[:, :, :10], image.affine, image.header), str(part))
    reference = tmp_path / "nifti.nii.gz"
    ganymede("predict", "--model", work / "model.onnx", "--images", ct, "--out", reference, "--probabilities")
    p = numpy.asarray(nibabel.load(str(reference)).dataobj).transpose(2, 1, 0)  # slice k = volume[:, :, k].T
    assert p.shape == (10, 512, 512) and (p > 0.5).sum() > 1000  # not an empty prediction

    # The checkpoint the ONNX model was exported from.
    ganymede("predict", "--model", work / "run" / "best.safetensors", "--images", ct, "--out", tmp_path / "ckpt.h5", "--probabilities")
    # PNG slices (the volume is 0-255, so 8-bit PNG holds it exactly).
    volume = numpy.asarray(nibabel.load(str(ct)).dataobj)
    (tmp_path / "png").mkdir()
    for k in range(volume.shape[2]):
        Image.fromarray(volume[:, :, k].T.astype(numpy.uint8)).save(tmp_path / "png" / f"slice_{k:03d}.png")
    ganymede("predict", "--model", work / "model.onnx", "--images", tmp_path / "png", "--out", tmp_path / "png.h5", "--probabilities")
    # Packed H5: the same slices packed at full size (pixels in [0, 1] with their range recorded), all in the train split.
    ganymede("data", "pack", "--images", ct, "--masks", ct_masks, "--out", tmp_path / "full.h5",
             "--size", "512", "--crop", "none", "--valid", "0")
    ganymede("predict", "--model", work / "model.onnx", "--images", tmp_path / "full.h5", "--split", "train", "--out", tmp_path / "packed.h5", "--probabilities")
    # A DICOM series of the same volume.
    series = write_dicom_series(tmp_path / "dicom", ct)
    ganymede("predict", "--model", work / "model.onnx", "--images", series, "--out", tmp_path / "dicom.h5", "--probabilities")
    # A script, as a notebook or a job runs it.
    (tmp_path / "predict.csx").write_text(
        'var model = SegmentationModel.Load(Input("model.onnx"));\n'
        'var volume = NiftiImage.Load(Input("ct.nii.gz")).Data.unsqueeze(1);\n'
        'var probabilities = new Predictor(model).Probabilities(volume);\n')
    ganymede("script", "run", tmp_path / "predict.csx", "--input", f"model.onnx={work / 'model.onnx'}", "--input", f"ct.nii.gz={ct}",
             "--outputs", tmp_path / "script", cwd=tmp_path)
    with h5py.File(tmp_path / "script" / "arrays.h5", "r") as f:
        script = f["probabilities"][:, 0]
    for name, q in [("checkpoint", probabilities_h5(tmp_path / "ckpt.h5")), ("PNG", probabilities_h5(tmp_path / "png.h5")),
                    ("packed H5", probabilities_h5(tmp_path / "packed.h5")), ("DICOM", probabilities_h5(tmp_path / "dicom.h5")), ("script", script)]:
        assert q.shape == p.shape, name
        assert numpy.abs(q - p).max() < 1e-5, f"{name}: {numpy.abs(q - p).max()}"

    # The server's tool: the masks it returns are the reference's, thresholded.
    gi = galaxy.gi()
    history = gi.histories.create_history("every path")
    onnx_model = gi.tools.upload_file(str(work / "model.onnx"), history["id"])["outputs"][0]
    uploaded_ct = gi.tools.upload_file(str(ct), history["id"])["outputs"][0]
    for d in (onnx_model, uploaded_ct):
        gi.datasets.wait_for_dataset(d["id"])
    run_ = gi.tools.run_tool(history["id"], "ganymede_predict", {"model": {"src": "hda", "id": onnx_model["id"]}, "images": {"src": "hda", "id": uploaded_ct["id"]}})
    assert gi.jobs.wait_for_job(run_["jobs"][0]["id"], interval=1, maxwait=600)["state"] == "ok"
    masks = {o["output_name"]: o for o in run_["outputs"]}["masks"]
    served = numpy.asarray(nibabel.load(gi.datasets.download_dataset(masks["id"], file_path=str(tmp_path))).dataobj).transpose(2, 1, 0)
    assert numpy.array_equal(served > 0, p > 0.5)

    # A DICOM series uploaded as a zip archive: recognised as such, and predicted as the volume is.
    archive = shutil.make_archive(str(tmp_path / "series"), "zip", series)
    uploaded = gi.tools.upload_file(archive, history["id"])["outputs"][0]
    gi.datasets.wait_for_dataset(uploaded["id"])
    assert gi.datasets.show_dataset(uploaded["id"])["misc_blurb"] == "DICOM series in a zip archive, 10 files"
    run_ = gi.tools.run_tool(history["id"], "ganymede_predict", {"model": {"src": "hda", "id": onnx_model["id"]}, "images": {"src": "hda", "id": uploaded["id"]}})
    assert gi.jobs.wait_for_job(run_["jobs"][0]["id"], interval=1, maxwait=600)["state"] == "ok"
    masks = {o["output_name"]: o for o in run_["outputs"]}["masks"]
    with h5py.File(gi.datasets.download_dataset(masks["id"], file_path=str(tmp_path / "zip-masks.h5"), use_default_filename=False), "r") as f:
        assert numpy.array_equal(f["y_pred"][:, :, :, 0] > 0, p > 0.5)


def test_dicom_series_packs_as_the_nifti_volume_does(built, tmp_path):
    series = write_dicom_series(tmp_path / "dicom", SHARED / "train_im.nii.gz")
    ganymede("data", "pack", "--images", series, "--masks", SHARED / "train_mask.nii.gz", "--out", tmp_path / "dicom.h5", "--size", "64", "--test", "0.2")
    ganymede("data", "pack", "--images", SHARED / "train_im.nii.gz", "--masks", SHARED / "train_mask.nii.gz", "--out", tmp_path / "nifti.h5", "--size", "64", "--test", "0.2")
    with h5py.File(tmp_path / "dicom.h5", "r") as a, h5py.File(tmp_path / "nifti.h5", "r") as b:
        for name in ["X_train", "y_train", "X_valid", "y_valid", "X_test", "y_test"]:
            assert a[name].shape == b[name].shape, name
            assert numpy.abs(a[name][:] - b[name][:]).max() < 1e-6, name
            assert list(a[name].attrs["slices"]) == list(b[name].attrs["slices"])
        assert list(a.attrs["intensity_range"]) == list(b.attrs["intensity_range"])


def test_held_out_evaluation_and_the_warning_for_seen_slices(model):
    work = model
    scored = run("evaluate", "--model", work / "model.onnx", "--images", work / "small.h5", "--split", "test")
    assert scored[0] == 0 and "warning" not in scored[2]
    test = json.loads(scored[1].strip().splitlines()[-1])["infection"]
    assert test["slices"] == 10 and 0.05 < test["dice_mean"] <= 1
    # Scoring the training slices works, but says plainly what they are.
    seen = run("evaluate", "--model", work / "model.onnx", "--images", work / "small.h5", "--split", "train")
    assert seen[0] == 0 and "warning: 35 of these 35 slices were used to train or validate this model" in seen[2]
    # The same slices of the original volume, chosen with --slices, are recognised as the test slices by their ids.
    with h5py.File(work / "small.h5", "r") as f:
        held = [int(k) for k in f["X_test"].attrs["slices"]]
    listed = ",".join(map(str, held))
    volume = run("evaluate", "--model", work / "model.onnx", "--images", SHARED / "train_im.nii.gz", "--truth", SHARED / "train_mask.nii.gz", "--slices", listed)
    assert volume[0] == 0 and "warning" not in volume[2]
    assert json.loads(volume[1].strip().splitlines()[-1])["infection"]["slices"] == 10
    mixed = run("evaluate", "--model", work / "model.onnx", "--images", SHARED / "train_im.nii.gz", "--truth", SHARED / "train_mask.nii.gz")
    assert "warning: 40 of these 50 slices" in mixed[2]
    # predict --truth prints the same metrics evaluate computes from the files.
    predicted = run("predict", "--model", work / "model.onnx", "--images", SHARED / "train_im.nii.gz", "--out", work / "pred.nii.gz", "--truth", SHARED / "train_mask.nii.gz")
    files = run("evaluate", "--pred", work / "pred.nii.gz", "--truth", SHARED / "train_mask.nii.gz")
    from_predict, from_files = (json.loads(out.strip().splitlines()[-1])["infection"] for out in (predicted[1], files[1]))
    assert from_predict["slices"] == from_files["slices"] == 50
    assert from_predict["dice_mean"] == pytest.approx(from_files["dice_mean"], abs=1e-9)


def test_several_volumes_split_by_patient(built, tmp_path):
    image, mask = nibabel.load(str(SHARED / "train_im.nii.gz")), nibabel.load(str(SHARED / "train_mask.nii.gz"))
    x, y = numpy.asarray(image.dataobj), numpy.asarray(mask.dataobj)
    args = []
    for i, (a, b) in enumerate([(0, 17), (17, 34), (34, 50)]):
        nibabel.save(nibabel.Nifti1Image(x[:, :, a:b], image.affine), str(tmp_path / f"patient{i}.nii.gz"))
        nibabel.save(nibabel.Nifti1Image(y[:, :, a:b], mask.affine), str(tmp_path / f"patient{i}_mask.nii.gz"))
        args += ["--images", tmp_path / f"patient{i}.nii.gz", "--masks", tmp_path / f"patient{i}_mask.nii.gz"]
    ganymede("data", "pack", *args, "--out", tmp_path / "patients.h5", "--size", "32", "--valid", "0.3", "--test-volumes", "patient1.nii.gz")
    with h5py.File(tmp_path / "patients.h5", "r") as f:
        names = json.loads(f.attrs["volume_names"])
        volumes = {split: {names[v] for v in f["X_" + split].attrs["volumes"]} for split in ["train", "valid", "test"]}
        assert volumes["test"] == {"patient1.nii.gz"} and len(f["X_test"]) == 17
        assert len(volumes["train"]) == 1 and len(volumes["valid"]) == 1
        assert volumes["train"].isdisjoint(volumes["valid"]) and "patient1.nii.gz" not in volumes["train"] | volumes["valid"]


@pytest.mark.parametrize("args, message", [
    (["data", "pack", "--images", "{png}", "--masks", "{masks}", "--out", "{out}"], "this file is a PNG image, not NIfTI"),
    (["data", "pack", "--images", "{images}", "--masks", "{images}", "--out", "{out}"], "the masks hold 256 different values (0 to 255), not a small set of labels"),
    (["data", "pack", "--images", "{images}", "--masks", "{masks}", "--out", "{out}", "--size", "100"], "--size 100: the UNet halves slices four times"),
    (["data", "pack", "--images", "{images}", "--masks", "{masks}", "--out", "{out}", "--test", "0.2", "--test-slices", "3"], "either a test fraction or a list"),
    (["data", "pack", "--images", "{images}", "--masks", "{masks}", "--out", "{out}", "--test-slices", "60"], "test slice 60 does not exist"),
    (["data", "pack", "--images", "{images}", "--masks", "{masks}", "--out", "{out}", "--test-volumes", "other.nii.gz"], "test volumes need several volumes"),
    (["evaluate", "--pred", "{images}"], "--pred needs --truth"),
])
def test_errors_say_what_is_wrong(built, tmp_path, args, message):
    Image.fromarray(numpy.zeros((8, 8), numpy.uint8)).save(tmp_path / "slice.png")
    names = {"png": tmp_path / "slice.png", "images": SHARED / "train_im.nii.gz", "masks": SHARED / "train_mask.nii.gz", "out": tmp_path / "out.h5"}
    code, _, err = run(*[a.format(**names) for a in args])
    assert code == 1 and message in err, err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "out.h5").exists()


def test_a_missing_option_is_one_line_of_error_and_one_of_usage(built):
    code, out, err = run("data", "pack", "--images", SHARED / "train_im.nii.gz", "--masks", SHARED / "train_mask.nii.gz")
    assert code == 1 and out == ""
    assert err.strip().splitlines() == ["error: Option '--out' is required.",
                                       "usage: ganymede data pack --images IMAGES --masks MASKS --out OUT [options]   (ganymede data pack --help lists them)"]


def test_a_model_refuses_slices_cut_differently(model, tmp_path):
    ganymede("data", "pack", "--images", SHARED / "train_im.nii.gz", "--masks", SHARED / "train_mask.nii.gz", "--out", tmp_path / "cut.h5", "--size", "64")
    code, _, err = run("predict", "--model", model / "model.onnx", "--images", tmp_path / "cut.h5", "--out", tmp_path / "p.h5")
    assert code == 1 and "holds slices cut to the body, but this model was trained on whole slices" in err
    assert not (tmp_path / "p.h5").exists()


def test_a_training_job_shows_its_progress_while_it_runs(galaxy, covid_h5):
    gi = galaxy.gi()
    history = gi.histories.create_history("progress")
    h5 = gi.tools.upload_file(str(covid_h5), history["id"])["outputs"][0]
    gi.datasets.wait_for_dataset(h5["id"])
    job_id = gi.tools.run_tool(history["id"], "ganymede_train_unet", {"data": {"src": "hda", "id": h5["id"]}, "epochs": 30, "base": 4})["jobs"][0]["id"]
    seen, update_times = [], set()
    deadline = time.time() + 600
    while time.time() < deadline:
        job = gi.jobs.show_job(job_id)
        if job["state"] == "running" and job.get("progress"):
            seen.append(job["progress"])
            update_times.add(job["update_time"])
        if job["state"] in ("ok", "error", "deleted"):
            break
        time.sleep(0.2)
    assert job["state"] == "ok"
    assert len(seen) >= 2 and len(update_times) >= 2, seen
    for p in seen:
        assert 1 <= p["epoch"] <= p["epochs"] == 30 and 0 <= p["percent"] <= 100 and p["eta_seconds"] >= 0
    assert seen[-1]["percent"] >= seen[0]["percent"]
    assert any("last_metrics" in p and p["last_metrics"]["dice"] is not None for p in seen)
    metrics = {m["name"]: m for m in gi.jobs.get_metrics(job_id)}
    assert float(metrics["runtime_seconds"]["raw_value"]) > 0 and metrics["runtime_seconds"]["title"] == "Job Runtime (Wall Clock)"
    if os.path.isdir("/sys/fs/cgroup/memory"):
        # A training in .NET holds tens of MiB at least; the figure is the job's own control group's high-water mark.
        peak = metrics["memory.max_usage_in_bytes"]
        assert peak["plugin"] == "cgroup" and 20 << 20 < float(peak["raw_value"]) < 8 << 30, peak
