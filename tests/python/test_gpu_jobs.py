"""The local runner's GPUs on a machine with an NVIDIA GPU: a job that asks for one reaches it from inside its sandbox
(CUDA starts, lists one device and takes memory on it), a job that asks for none sees no GPU, the job's metrics say
how many it had, and the dashboard shows the GPU as nvidia-smi reads it. Skipped where the NVIDIA driver shows no GPU
(/dev/nvidiaN), as in CI; the CPU-only tests check the scheduling itself (tests/Ganymede.Server.Tests/ResourceRequestTests.cs)."""
import glob
import re
import subprocess

import pytest
import requests

from conftest import Server, ganymede
from test_isolation import upload, wait_job
from test_server_robustness import api

pytestmark = pytest.mark.skipif(not glob.glob("/dev/nvidia[0-9]*"), reason="no NVIDIA GPU on this machine (/dev/nvidiaN)")

# What a training on the GPU does first, through CUDA's driver API: start, count the devices, take 1 GiB on the first.
CUDA_PROBE = r'''
using System.Runtime.InteropServices;
static class Cuda
{
    [DllImport("libcuda.so.1")] public static extern int cuInit(uint flags);
    [DllImport("libcuda.so.1")] public static extern int cuDeviceGetCount(out int count);
    [DllImport("libcuda.so.1")] public static extern int cuDevicePrimaryCtxRetain(out nint context, int device);
    [DllImport("libcuda.so.1")] public static extern int cuCtxSetCurrent(nint context);
    [DllImport("libcuda.so.1")] public static extern int cuMemAlloc_v2(out nuint pointer, nuint bytes);
    [DllImport("libcuda.so.1")] public static extern int cuMemFree_v2(nuint pointer);
}
int init, count = 0, alloc = -1;
try { init = Cuda.cuInit(0); } catch (DllNotFoundException) { init = -1; }
if (init == 0 && Cuda.cuDeviceGetCount(out count) == 0 && count > 0 && Cuda.cuDevicePrimaryCtxRetain(out var context, 0) == 0 && Cuda.cuCtxSetCurrent(context) == 0)
{
    alloc = Cuda.cuMemAlloc_v2(out var pointer, (nuint)(1L << 30));
    if (alloc == 0) Cuda.cuMemFree_v2(pointer);
}
Console.WriteLine($"visible={Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES") ?? "none"} init={init} count={count} alloc={alloc}");
'''


@pytest.fixture(scope="module")
def gpu_server(built, tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("gpu") / "data", extra_args=["--job-resource-max", "gpus=1"])
    yield server
    server.stop()


def run_probe(server, gpus):
    """Runs the probe in a job that asks for this many GPUs; returns the job and what the probe printed."""
    history = api(server, "POST", "/histories", json={"name": f"gpus {gpus}"}).json()["id"]
    script = upload(server, server.key, history, CUDA_PROBE, "cuda.csx")
    r = api(server, "POST", "/tools", json={"history_id": history, "tool_id": "ganymede_run_script", "inputs": {
        "select_file": {"src": "hda", "id": script}, "__job_resource|__job_resource__select": "yes", "__job_resource|gpus": str(gpus)}})
    assert r.status_code == 200, r.text
    job = wait_job(server, r.json()["jobs"][0]["id"], key=server.key)
    assert job["state"] == "ok", job
    found = re.search(r"visible=(\S+) init=(-?\d+) count=(\d+) alloc=(-?\d+)", job["stdout"])
    assert found, job["stdout"]
    return job, dict(zip(("visible", "init", "count", "alloc"), found.groups()))


def gpus_allocated(server, job):
    """The job's galaxy_gpus metric."""
    return float({m["name"]: m["raw_value"] for m in api(server, "GET", f"/jobs/{job['id']}/metrics").json()}["galaxy_gpus"])


def test_a_job_that_asks_for_a_gpu_uses_it_from_its_sandbox(gpu_server):
    job, seen = run_probe(gpu_server, 1)
    assert seen == {"visible": "0", "init": "0", "count": "1", "alloc": "0"}
    assert gpus_allocated(gpu_server, job) == 1


def test_a_job_that_asks_for_none_sees_no_gpu(gpu_server):
    job, seen = run_probe(gpu_server, 0)
    assert seen["visible"] == "none" and seen["init"] != "0" and seen["count"] == "0", seen
    assert gpus_allocated(gpu_server, job) == 0


def test_the_dashboard_shows_the_gpu_as_nvidia_smi_reads_it(gpu_server):
    ganymede("users", "create", "--email", "carol@example.org", "--password", "--data-dir", gpu_server.data_dir, input="gpu-dashboard-password\n")
    web = requests.Session()
    token = re.search(r'name="__RequestVerificationToken" type="hidden" value="([^"]+)"', web.get(gpu_server.url + "/login").text).group(1)
    r = web.post(gpu_server.url + "/login", data={"Email": "carol@example.org", "Password": "gpu-dashboard-password", "__RequestVerificationToken": token})
    assert r.status_code == 200 and "/login" not in r.url, r.url
    figures = web.get(gpu_server.url + "/dashboard?handler=Figures").text
    name, total = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits", "-i", "0"],
                                 capture_output=True, text=True, check=True).stdout.strip().split(", ")
    shown = re.search(r"<p>0: ([^,]+), (\d+) % busy, (\d+) of (\d+) MiB</p>", figures)
    assert shown, figures
    assert (shown.group(1), shown.group(4)) == (name, total) and 0 <= int(shown.group(3)) <= int(total)
