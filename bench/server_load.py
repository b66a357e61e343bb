"""Server load figures on loopback (a benchmark, not a test): upload throughput for a 1 GiB file with BioBlend
in both upload modes (multipart, tus), requests/s and p99 latency of GET /api/histories/{id}/contents with
1,000 datasets at 64 connections (wrk; plain and gzip-accepting, as BioBlend asks) on SQLite and on PostgreSQL, the time from POST /api/tools to the job's
process starting, and jobs dispatched per second by one server and by three over one PostgreSQL.

Run: /usr/bin/python3 bench/server_load.py [--size-mb 1024] [--scale-only]   (installs wrk from Debian when missing)
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "python"))
from conftest import Server, ganymede  # noqa: E402  (the same server harness the tests use)
from postgres_cluster import PostgresCluster  # noqa: E402

import requests  # noqa: E402


def upload_rate(version, size_mb, work):
    server = Server(work / f"upload-{version}", version)
    try:
        big = work / "big.bin"
        if not big.exists():
            with open(big, "wb") as f:
                for _ in range(size_mb):
                    f.write(os.urandom(1 << 20))
        gi = server.gi()
        history = gi.histories.create_history("upload")["id"]
        start = time.perf_counter()
        gi.tools.upload_file(str(big), history)
        seconds = time.perf_counter() - start
        return size_mb / seconds
    finally:
        server.stop()


def wrk(url, key, headers=(), seconds=15):
    """Requests/s and p99 in ms of GET url at 64 connections."""
    out = subprocess.run(["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", "-H", f"x-api-key: {key}", *headers, url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    return rps, float(p99.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[p99.group(2)]


def contents_load(work, database=None):
    server = Server(work / ("contents-pg" if database else "contents"), database=database)
    try:
        headers = {"x-api-key": server.key}
        history = requests.post(server.url + "/api/histories", json={"name": "many"}, headers=headers).json()["id"]
        def upload(i):
            requests.post(server.url + "/api/tools", headers=headers, json={
                "history_id": history, "tool_id": "upload1", "inputs": {"files_0|NAME": f"d{i}.txt"}, "files_0|url_paste": f"{i}\n"}).raise_for_status()
        with concurrent.futures.ThreadPoolExecutor(4) as uploads:
            list(uploads.map(upload, range(1000)))
        url = f"{server.url}/api/histories/{history}/contents"
        assert len(requests.get(url, headers=headers).json()) == 1000
        wrk(url, server.key, seconds=5)  # warm-up: the server compiles its hot paths in the first seconds
        # As wrk sends it (no Accept-Encoding), and as BioBlend (requests) and browsers send it (gzip accepted).
        return wrk(url, server.key), wrk(url, server.key, ["-H", "Accept-Encoding: gzip, deflate"])
    finally:
        server.stop()


def job_start_latency(work, runs=10):
    server = Server(work / "latency")
    try:
        headers = {"x-api-key": server.key}
        history = requests.post(server.url + "/api/histories", json={"name": "latency"}, headers=headers).json()["id"]
        script = requests.post(server.url + "/api/tools", headers=headers, json={
            "history_id": history, "tool_id": "upload1", "inputs": {"files_0|NAME": "noop.csx"}, "files_0|url_paste": "1"}).json()["outputs"][0]["id"]
        latencies = []
        for _ in range(runs):
            before = set(os.listdir(server.data_dir / "jobs"))
            posted = time.time()
            job = requests.post(server.url + "/api/tools", headers=headers, json={
                "history_id": history, "tool_id": "ganymede_run_script", "inputs": {"select_file": {"src": "hda", "id": script}}}).json()["jobs"][0]["id"]
            while True:
                new = set(os.listdir(server.data_dir / "jobs")) - before
                started = [server.data_dir / "jobs" / n / "started" for n in new]
                if started and started[0].exists() and started[0].read_text().strip():
                    latencies.append(float(started[0].read_text()) - posted)
                    break
                time.sleep(0.005)
            while requests.get(f"{server.url}/api/jobs/{job}", headers=headers).json()["state"] not in ("ok", "error"):
                time.sleep(0.1)
        return statistics.median(latencies), max(latencies)
    finally:
        server.stop()


def dispatch_rate(work, database, servers, jobs=150):
    """Jobs per second from the first submission to the last job's end: cat1 jobs sent round-robin to the servers."""
    data = work / f"dispatch-{servers}"
    data.mkdir()
    args = ["--handler-timeout", "10", "--max-jobs", "4"]
    first = Server(data, database=database, name="server0", extra_args=args)
    all_servers = [first] + [Server(data, database=database, name=f"server{i}", keys=(first.key, first.other_key), extra_args=args)
                             for i in range(1, servers)]
    try:
        headers = {"x-api-key": first.key}
        history = requests.post(first.url + "/api/histories", json={"name": "dispatch"}, headers=headers).json()["id"]
        lines = requests.post(first.url + "/api/tools", headers=headers, json={
            "history_id": history, "tool_id": "upload1", "inputs": {"files_0|NAME": "in.txt"}, "files_0|url_paste": "a\n"}).json()["outputs"][0]["id"]
        while requests.get(f"{first.url}/api/datasets/{lines}", headers=headers).json()["state"] != "ok":
            time.sleep(0.05)
        start = time.perf_counter()
        for n in range(jobs):
            requests.post(all_servers[n % servers].url + "/api/tools", headers=headers, json={
                "history_id": history, "tool_id": "cat1", "inputs": {"input1": {"src": "hda", "id": lines}}}).raise_for_status()
        while True:
            listed = requests.get(first.url + "/api/jobs", headers=headers, params={"history_id": history, "tool_id": "cat1", "limit": 1000}).json()
            if len(listed) == jobs and all(j["state"] in ("ok", "error") for j in listed):
                break
            time.sleep(0.1)
        assert all(j["state"] == "ok" for j in listed)
        return jobs / (time.perf_counter() - start)
    finally:
        for s in all_servers:
            s.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--scale-only", action="store_true", help="only the contents listing and the dispatch rate, on SQLite and PostgreSQL")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    ganymede("info")
    figures = {}
    postgres = PostgresCluster()
    try:
        with tempfile.TemporaryDirectory(prefix="ganymede-bench-") as tmp:
            work = pathlib.Path(tmp)
            if not args.scale_only:
                multipart = upload_rate("21.09", args.size_mb, work)
                tus = upload_rate("23.1", args.size_mb, work)
                median, worst = job_start_latency(work)
                figures.update({"upload_multipart_mb_s": round(multipart, 1), "upload_tus_mb_s": round(tus, 1), "upload_mb": args.size_mb,
                                "job_start_median_s": round(median, 3), "job_start_max_s": round(worst, 3)})
                print(f"upload {args.size_mb} MiB: multipart {multipart:.0f} MB/s, tus {tus:.0f} MB/s")
                print(f"POST /api/tools to job process start: median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms")
            for engine, database in (("sqlite", None), ("postgresql", postgres.create_database("contents"))):
                for encoding, (rps, p99) in zip(("plain", "gzip"), contents_load(work, database)):
                    figures.update({f"contents_1000_rps_{engine}_{encoding}": round(rps), f"contents_1000_p99_ms_{engine}_{encoding}": round(p99, 1)})
                    print(f"GET contents (1,000 datasets, 64 connections), {engine}, {encoding}: {rps:.0f} requests/s, p99 {p99:.1f} ms")
            one = dispatch_rate(work, postgres.create_database("dispatch_one"), 1)
            three = dispatch_rate(work, postgres.create_database("dispatch_three"), 3)
            figures.update({"dispatch_jobs_s_one_server": round(one, 2), "dispatch_jobs_s_three_servers": round(three, 2)})
            print(f"cat1 jobs dispatched and run, PostgreSQL: one server {one:.2f} jobs/s, three servers {three:.2f} jobs/s (ratio {three / one:.2f})")
    finally:
        postgres.stop()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
