"""`ganymede data fetch`: public datasets downloaded over HTTP (here from a server on loopback serving the shared
copy), every file checked before it is kept."""
import hashlib
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, SHARED, free_port, wait_until

FILES = ["train_im.nii.gz", "train_mask.nii.gz", "train_slices.json"]


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(*args):
    done = subprocess.run([str(ROOT / "ganymede"), "data", "fetch", *map(str, args)], capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def mirror(tmp_path):
    """An HTTP server on 127.0.0.1 serving a folder; yields (folder, base URL)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def answers():
        import urllib.request
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
            return True
        except OSError:
            return False

    wait_until(answers, 30, "the mirror answering")
    yield folder, f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


def test_covid_semiseg_is_fetched_and_verified_against_its_pinned_checksums(mirror, tmp_path):
    folder, url = mirror
    for name in FILES:
        shutil.copy(SHARED / name, folder / name)
    out = tmp_path / "data"
    code, stdout, stderr = fetch("covid-semiseg", "--source", url, "--out", out)
    assert code == 0, stderr
    for name in FILES:
        assert sha256(out / name) == sha256(SHARED / name)
        assert f"{name}: " in stdout and "(verified)" in stdout
    sums = dict(reversed(line.split("  ")) for line in (out / "SHA256SUMS").read_text().splitlines())
    assert sums == {name: sha256(SHARED / name) for name in FILES}
    # A second fetch keeps what is already there and right.
    code, stdout, _ = fetch("covid-semiseg", "--source", url, "--out", out)
    assert code == 0 and stdout.count("already here, checksum matches") == 3


def test_a_file_that_differs_from_its_checksum_is_refused_and_not_kept(mirror, tmp_path):
    folder, url = mirror
    for name in FILES:
        shutil.copy(SHARED / name, folder / name)
    tampered = bytearray((folder / "train_mask.nii.gz").read_bytes())
    tampered[1000] ^= 0xFF
    (folder / "train_mask.nii.gz").write_bytes(bytes(tampered))
    out = tmp_path / "data"
    code, _, stderr = fetch("covid-semiseg", "--source", url, "--out", out)
    assert code != 0
    assert "train_mask.nii.gz from" in stderr and "differs from the expected" in stderr and "was not kept" in stderr
    assert not (out / "train_mask.nii.gz").exists() and not list(out.glob("*.part"))
    assert sha256(out / "train_im.nii.gz") == sha256(SHARED / "train_im.nii.gz")  # what came before it is whole and kept


def test_covid_semiseg_needs_a_mirror_and_says_where_the_files_come_from(tmp_path):
    code, _, stderr = fetch("covid-semiseg", "--out", tmp_path / "data")
    assert code != 0
    assert "give a mirror with --source URL" in stderr and "Inf-Net" in stderr


def test_medseg_records_checksums_on_first_fetch_and_holds_later_fetches_to_them(mirror, tmp_path):
    folder, url = mirror
    # The mirror serves NIfTI volumes under the release's names (the shared slices stand in for them here).
    shutil.copy(SHARED / "train_im.nii.gz", folder / "tr_im.nii.gz")
    shutil.copy(SHARED / "train_mask.nii.gz", folder / "tr_mask.nii.gz")
    out = tmp_path / "medseg"
    code, stdout, stderr = fetch("medseg", "--source", url, "--out", out)
    assert code == 0, stderr
    assert stdout.count("(recorded)") == 2
    assert (out / "SHA256SUMS").read_text().splitlines() == [
        f"{sha256(folder / 'tr_im.nii.gz')}  tr_im.nii.gz", f"{sha256(folder / 'tr_mask.nii.gz')}  tr_mask.nii.gz"]
    # The mirror now serves another file under the same name: refused, the recorded one stays.
    (out / "tr_mask.nii.gz").unlink()
    shutil.copy(SHARED / "train_im.nii.gz", folder / "tr_mask.nii.gz")
    code, _, stderr = fetch("medseg", "--source", url, "--out", out)
    assert code != 0 and "differs from the expected" in stderr
    # Not a NIfTI volume at all: refused with the reason.
    shutil.rmtree(out)
    (folder / "tr_im.nii.gz").write_bytes(b"<html>not found</html>")
    code, _, stderr = fetch("medseg", "--source", url, "--out", out)
    assert code != 0 and "tr_im.nii.gz" in stderr
    assert not (out / "tr_im.nii.gz").exists()
