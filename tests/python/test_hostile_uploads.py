"""Hostile uploads: files built to hang, exhaust or mislead type detection are stored or refused cleanly, described in
a sandboxed child (`ganymede inspect`), and the server's own peak memory stays small throughout."""
import gzip

import h5py
import numpy as np
import pytest

from conftest import Server
from test_isolation import peak_memory_mib, stored_file
from test_server_robustness import api, new_history


@pytest.fixture(scope="module")
def server(built, tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("hostile-uploads") / "data")
    yield s
    s.stop()


def upload_file(server, key, history, path, name):
    with open(path, "rb") as f:
        r = api(server, "POST", "/tools", key=key, data={"history_id": history, "tool_id": "upload1", "inputs": '{"file_type": "auto"}'},
                files={"files_0|file_data": (name, f)})
    assert r.status_code == 200, r.text
    dataset = r.json()["outputs"][0]["id"]
    return api(server, "GET", f"/datasets/{dataset}", key=key).json()


def make_h5(path, build):
    with h5py.File(path, "w") as f:
        build(f)
    return path


def soft_cycle(f):
    f.create_group("a")["x"] = np.zeros(3)
    f["a"]["loop"] = h5py.SoftLink("/a")


def hard_cycle(f):
    f.create_group("a")["x"] = np.zeros(3)
    f["a"]["back"] = f["a"]


def odd_names(f):
    f.create_group(b"\xff\xfe-not-utf8")[b"\xc3\x28"] = np.zeros(2)


def many_objects(f):
    for i in range(100_000):
        f.create_group(f"g{i}")


@pytest.mark.parametrize("build, blurb", [
    (soft_cycle, "listing stopped: cut at 32 levels deep"),
    (hard_cycle, "listing stopped: cut at 32 levels deep"),
    (odd_names, "HDF5, "),
    (many_objects, "listing stopped: more than 10,000 objects"),
], ids=["soft-link-cycle", "hard-link-cycle", "invalid-utf8-names", "100000-objects"])
def test_a_hostile_hdf5_file_is_stored_with_a_bounded_description(server, tmp_path, build, blurb):
    shown = upload_file(server, server.key, new_history(server), make_h5(tmp_path / "hostile.h5", build), "hostile.h5")
    assert shown["state"] == "ok" and shown["extension"] == "h5", shown
    assert blurb in shown["misc_blurb"], shown["misc_blurb"]
    assert api(server, "GET", "/version").status_code == 200


def test_an_external_link_to_another_users_file_shows_nothing_of_it(server, tmp_path):
    secret = make_h5(tmp_path / "secret.h5", lambda f: f.create_dataset("X_secret", data=np.arange(12.0).reshape(3, 4)))
    upload_file(server, server.key, new_history(server), secret, "secret.h5")
    target = stored_file(server, secret.read_bytes())
    link = make_h5(tmp_path / "link.h5", lambda f: f.__setitem__("X_train", h5py.ExternalLink(str(target), "/X_secret")))
    history_of_b = api(server, "POST", "/histories", key=server.other_key, json={"name": "B"}).json()["id"]
    shown = upload_file(server, server.other_key, history_of_b, link, "link.h5")
    assert shown["state"] == "ok" and shown["extension"] == "h5", shown
    assert "X_train: unreadable" in shown["peek"] and "[3, 4]" not in shown["peek"] and "X_secret" not in shown["peek"].replace(f"{target}", "")


def test_a_gzip_bomb_is_stored_without_being_inflated(server, tmp_path):
    bomb = tmp_path / "bomb.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as f:
        block = bytes(1 << 20)
        for _ in range(1024):  # 1 GiB of zeros, about 1 MB compressed
            f.write(block)
    shown = upload_file(server, server.key, new_history(server), bomb, "bomb.gz")
    assert shown["state"] == "ok" and shown["extension"] == "gz" and shown["file_size"] == bomb.stat().st_size


def test_a_500_mb_one_line_json_is_described_and_the_server_stays_small(server, tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.write(b'{"values": [')
        chunk = b"1234567," * (1 << 17)
        for _ in range(500):
            f.write(chunk)
        f.write(b"0]}")
    shown = upload_file(server, server.key, new_history(server), big, "big.json")
    assert shown["state"] == "ok" and shown["extension"] == "json", shown
    assert shown["misc_blurb"] == "1 lines"
    assert len(shown["peek"]) <= 200
    # Everything this module uploaded was inspected outside the server: its own peak stays small.
    assert peak_memory_mib(server.process.pid) < 400
