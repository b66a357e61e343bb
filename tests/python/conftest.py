"""Starts real Ganymede servers on loopback for the BioBlend tests (Debian's python3-bioblend 1.0.0)."""
import atexit
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "covid-semiseg"

# The engine on one thread in every process the tests start (trainings from the command line, notebook kernels; jobs
# get theirs from --cores-per-job below): the suite's two workers share two cores, and two OpenMP threads on cores
# that the other worker keeps busy mostly wait for each other (trainings took several times longer so).
os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_sessionstart(session):
    if not (SHARED / "train_im.nii.gz").exists():
        raise pytest.UsageError(f"the tests read the real CT slices from {SHARED}; get them with "
                                f"`./ganymede data fetch covid-semiseg --source MIRROR --out {SHARED}` (docs/use-case.md)")


# Files whose tests keep the machine busiest (hundreds of job processes, notebooks that train): on one worker, one after
# the other, since side by side they slowed each other several times over.
SHARED_WORKER = {"test_several_servers": "busiest", "test_notebooks": "busiest"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """For pytest-xdist's --dist loadgroup: each file's tests stay on one worker (a file's servers and clusters are its
    own), and the busiest files share one."""
    for item in items:
        module = item.module.__name__
        item.add_marker(pytest.mark.xdist_group(SHARED_WORKER.get(module, module)))


def ganymede(*args, **kwargs):
    """Runs ./ganymede and returns its stdout; fails the test with its stderr."""
    done = subprocess.run([str(ROOT / "ganymede"), *map(str, args)], capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"ganymede {' '.join(map(str, args))} failed:\n{done.stderr}"
    return done.stdout


def install_kernelspec():
    """Installs the C# kernel's kernelspec under a temporary prefix, removed when the tests end; returns the folder to
    put in JUPYTER_PATH, where Jupyter then finds it."""
    prefix = tempfile.mkdtemp(prefix="ganymede-kernelspec-")
    atexit.register(shutil.rmtree, prefix, ignore_errors=True)
    ganymede("kernel", "install", "--prefix", prefix)
    return os.path.join(prefix, "share", "jupyter")


def wait_until(condition, timeout, what):
    """Polls condition() until it is true; fails the test saying what did not happen within timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.1)


def processes_running(*argv):
    """The ids of this machine's processes whose command line is exactly argv."""
    wanted = b"\0".join(a.encode() for a in argv) + b"\0"
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read() == wanted:
                    found.append(int(pid))
        except OSError:
            pass  # it ended while we looked
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """
    One `ganymede serve` process with its own data directory and two users; or, with keys, one more server of a
    data directory and database that another made (several servers share them, each with its own --handler-name).
    """

    def __init__(self, data_dir, version="23.1", extra_args=(), database=None, name="server", keys=None):
        self.data_dir = pathlib.Path(data_dir)
        self.version = version
        self.database = ["--database", database] if database else []
        self.name = name
        # A job on one core, for the reason OMP_NUM_THREADS is 1 above.
        cores = [] if "--cores-per-job" in extra_args else ["--cores-per-job", "1"]
        self.extra_args = list(extra_args) + cores + self.database + ["--handler-name", name]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        if keys is None:
            keys = [ganymede("users", "create", "--email", email, "--data-dir", data_dir, *self.database).strip().splitlines()[-1]
                    for email in ("alice@example.org", "bob@example.org")]
        self.key, self.other_key = keys
        self.process = None
        self.start()

    def start(self):
        self.log = open(self.data_dir / f"{self.name}.log", "a")
        self.process = subprocess.Popen(
            [str(ROOT / "ganymede"), "serve", "--urls", self.url, "--data-dir", str(self.data_dir), "--galaxy-version", self.version, *self.extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/api/version", timeout=1).read()
                return
            except OSError:
                assert self.process.poll() is None, (self.data_dir / f"{self.name}.log").read_text()
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    @property
    def temporary(self):
        """This server's folder for files still arriving (each server of a data directory has its own)."""
        return self.data_dir / "tmp" / self.name

    def kill(self):
        """Stops the server at once, as a crash would: jobs it started keep running."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.log.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    def gi(self, other_user=False):
        from bioblend.galaxy import GalaxyInstance
        return GalaxyInstance(self.url, key=self.other_key if other_user else self.key)


@pytest.fixture(scope="session")
def built():
    """Builds the program once (the launcher rebuilds only when sources changed)."""
    ganymede("info")


@pytest.fixture(scope="session", params=["21.09", "23.1"], ids=["multipart-upload", "tus-upload"])
def server(request, built, tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("server"), request.param)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def covid_h5(built, tmp_path_factory):
    """The 50 real CT slices packed at 64x64 (small, so trainings take seconds)."""
    path = tmp_path_factory.mktemp("data") / "covid.h5"
    ganymede("data", "pack", "--images", SHARED / "train_im.nii.gz", "--masks", SHARED / "train_mask.nii.gz", "--out", path, "--size", "64")
    return path
