"""A notebook session started with BioBlend and used as a remote front end uses a Jupyter server: requests for the
REST API, jupyter_client's message format over the kernel's WebSocket (tornado's client, which Debian's Jupyter
brings), through the server's proxy with the owner's key."""
import asyncio
import json

import h5py
import requests
from jupyter_client.session import Session
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from conftest import wait_until

TOOL = "interactive_tool_ganymede_notebook"


def execute(url, key, code):
    """Runs code on a kernel over its channels and returns the text/plain of its result."""
    async def run():
        connection = await websocket_connect(HTTPRequest(url, headers={"x-api-key": key}))
        session = Session(key=b"")  # over the WebSocket, the server signs the messages itself
        message = session.msg("execute_request", {"code": code, "silent": False, "store_history": True,
                                                  "user_expressions": {}, "allow_stdin": False})
        message["channel"] = "shell"
        connection.write_message(json.dumps(message, default=str))
        while True:
            reply = json.loads(await connection.read_message())
            if reply["parent_header"].get("msg_id") != message["header"]["msg_id"]:
                continue
            if reply["msg_type"] == "execute_result":
                connection.close()
                return reply["content"]["data"]["text/plain"]
            assert reply["msg_type"] != "error", reply["content"]
    return asyncio.run(asyncio.wait_for(run(), 120))


def test_a_session_started_with_bioblend_answers_a_remote_front_end(server, covid_h5):
    gi = server.gi()
    history = gi.histories.create_history("session")["id"]
    data = gi.tools.upload_file(str(covid_h5), history)["outputs"][0]["id"]
    wait_until(lambda: gi.datasets.show_dataset(data)["state"] == "ok", 60, "the upload")
    job = gi.tools.run_tool(history, TOOL, {"inputs": {"values": [{"src": "hda", "id": data}]}})["jobs"][0]["id"]

    def entry():
        points = gi.make_get_request(gi.url + "/entry_points", params={"running": True}).json()
        return next((p for p in points if p["job_id"] == job and p["active"]), None)
    wait_until(entry, 120, "the session's start")
    target = entry()["target"]

    owner = requests.Session()
    owner.headers["x-api-key"] = server.key
    assert sorted(owner.get(target + "api/kernelspecs").json()["kernelspecs"]) == ["ganymede", "python3"]
    assert requests.get(target + "api/kernelspecs", headers={"x-api-key": server.other_key}).status_code == 403
    kernel = owner.post(target + "api/kernels", json={"name": "python3"}).json()["id"]
    channels = target.replace("http://", "ws://") + f"api/kernels/{kernel}/channels"
    with h5py.File(covid_h5, "r") as f:
        expected = f["X_train"].shape
    assert execute(channels, server.key, "import h5py\nh5py.File('inputs/covid.h5', 'r')['X_train'].shape") == str(expected)

    gi.jobs.cancel_job(job)  # stops the session cleanly: DELETE /api/jobs/{id}
    wait_until(lambda: gi.jobs.show_job(job)["state"] == "ok", 60, "the session's stop")
    assert owner.get(target + "api/kernelspecs").status_code == 404
