"""Jobs on a real one-node Slurm cluster: ganymede serve --runner slurm submits job.sh with sbatch."""
import os
import shutil
import tempfile

import pytest

from conftest import Server, processes_running, wait_until
from slurm_cluster import SlurmCluster
from test_server_robustness import SLOW_SCRIPT, api, new_history, paste, run_script, wait_job


@pytest.fixture(scope="module")
def slurm_server(built, tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("starting munge and Slurm daemons needs root")
    # munged runs as its own user: its directory must be reachable, which pytest's private temporary folders are not.
    base = tempfile.mkdtemp(prefix="ganymede-slurm-")
    os.chmod(base, 0o755)
    cluster = SlurmCluster(base)
    saved = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(cluster.conf)  # the server's sbatch, squeue and scancel find the cluster
    try:
        server = Server(tmp_path_factory.mktemp("server"), extra_args=["--runner", "slurm", "--max-jobs", "2", "--job-limits", "memory=1GiB"])
    finally:
        if saved is None:
            os.environ.pop("SLURM_CONF")
        else:
            os.environ["SLURM_CONF"] = saved
    yield server, cluster
    server.stop()
    cluster.stop()
    shutil.rmtree(base, ignore_errors=True)


def test_a_script_job_runs_through_slurm_in_the_same_sandbox(slurm_server):
    server, cluster = slurm_server
    history = new_history(server)
    database = (server.data_dir / "ganymede.sqlite").resolve()
    script = ('using System.Net.NetworkInformation;\n'
              'Console.WriteLine("uid " + File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:")).Split(\'\\t\')[1]);\n'
              'Console.WriteLine("interfaces " + string.Join(",", NetworkInterface.GetAllNetworkInterfaces().Select(n => n.Name)));\n'
              f'Console.WriteLine("database visible: " + File.Exists(@"{database}"));\n'
              'System.Diagnostics.Process.Start("bash", new[] { "-c", "trap \'\' TERM HUP; exec sleep 1000.375" });\n')
    job = run_script(server, history, paste(server, history, script))
    done = wait_job(server, job)
    assert done["state"] == "ok", done["stderr"]
    lines = done["stdout"].splitlines()
    assert 2_000_000 <= int(lines[0].split()[1]) < 3_000_000
    assert lines[1:3] == ["interfaces lo", "database visible: False"]
    assert "ganymede-" in cluster.completed_jobs()
    # The child that ignores SIGTERM ended with the job.
    assert processes_running("sleep", "1000.375") == []


def test_a_slurm_job_over_its_memory_limit_is_killed_and_says_so(slurm_server):
    server, _ = slurm_server
    history = new_history(server)
    script = 'var held = new List<byte[]>();\nfor (int i = 0; i < 8192; i++) { var b = new byte[1 << 20]; Array.Fill(b, (byte)1); held.Add(b); }\n'
    done = wait_job(server, run_script(server, history, paste(server, history, script)))
    assert done["state"] == "error" and "killed: memory limit 1 GiB exceeded" in done["info"], done["info"]


def test_cancelling_a_slurm_job_scancels_it(slurm_server):
    server, cluster = slurm_server
    history = new_history(server)
    job = run_script(server, history, paste(server, history, SLOW_SCRIPT.format(ms=120000)))
    wait_job(server, job, until=("running",))
    wait_until(lambda: len(cluster.running_jobs()) == 1, 30, "Slurm running the job")
    assert api(server, "DELETE", f"/jobs/{job}").json() is True
    wait_until(lambda: "CANCELLED" in cluster.completed_jobs(), 30, "Slurm recording the job as cancelled")
    assert wait_job(server, job)["state"] == "deleted"
