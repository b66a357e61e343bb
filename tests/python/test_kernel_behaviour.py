"""The kernel under bad input: errors, compile failures, floods of output, endless loops, forged messages."""
import os
import time

import pytest
import zmq
from jupyter_client.manager import start_new_kernel

from conftest import install_kernelspec

os.environ["JUPYTER_PATH"] = install_kernelspec()


@pytest.fixture(scope="module")
def kernel():
    km, kc = start_new_kernel(kernel_name="ganymede", startup_timeout=60)
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    assert not km.is_alive()


def run(kc, code, timeout=60):
    """Executes code; returns the reply content and the iopub messages of this request until idle."""
    msg_id = kc.execute(code)
    reply = kc.get_shell_msg(timeout=timeout)
    assert reply["parent_header"]["msg_id"] == msg_id
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return reply["content"], outputs
        if msg["msg_type"] not in ("status", "execute_input"):
            outputs.append(msg)


def wait_for_output(kc, msg_id, text, timeout=60):
    """Reads the request's iopub messages until its stdout shows text: the cell has reached that point."""
    deadline = time.monotonic() + timeout
    seen = ""
    while text not in seen:
        assert time.monotonic() < deadline, f"the cell did not print {text!r} within {timeout} s"
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
            seen += msg["content"]["text"]


def value(kc, expression):
    content, outputs = run(kc, expression)
    assert content["status"] == "ok", content
    return [o["content"]["data"]["text/plain"] for o in outputs if o["msg_type"] == "execute_result"][0]


def test_state_carries_across_cells_and_errors_keep_what_ran(kernel):
    _, kc = kernel
    run(kc, "var total = 1;")
    content, outputs = run(kc, 'total = 100;\nthrow new ArgumentException("bad value");')
    assert content["status"] == "error" and content["ename"] == "ArgumentException"
    assert any("line 2" in line for line in content["traceback"])
    assert value(kc, "total") == "100"


def test_compile_errors_point_at_the_line_and_change_nothing(kernel):
    _, kc = kernel
    run(kc, "var kept = 5;")
    content, _ = run(kc, "var kept = 6;\nint y = undefinedName;")
    assert content["status"] == "error" and content["ename"] == "CompilationError"
    assert any(line.startswith("line 2, column") and "CS0103" in line for line in content["traceback"])
    assert value(kc, "kept") == "5"


def test_a_flood_of_output_is_cut_off_and_the_kernel_stays_responsive(kernel):
    _, kc = kernel
    content, outputs = run(kc, 'for (int i = 0; i < 250_000; i++) Console.WriteLine("0123456789012345678901234567890123456789");', timeout=120)
    assert content["status"] == "ok"
    text = "".join(o["content"]["text"] for o in outputs if o["msg_type"] == "stream")
    assert "output truncated" in text and len(text) < 10_000_000
    assert value(kc, "1 + 1") == "2"


def test_an_endless_loop_is_interrupted_and_the_kernel_keeps_its_state(kernel):
    km, kc = kernel
    run(kc, "var before = 7;")
    msg_id = kc.execute('long spins = 0;\nConsole.WriteLine("looping"); Console.Out.Flush();\nwhile (true) { spins++; }')
    wait_for_output(kc, msg_id, "looping")
    km.interrupt_kernel()  # what Jupyter's interrupt button does: an interrupt_request (the kernelspec asks for messages)
    reply = kc.get_shell_msg(timeout=30)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    assert value(kc, "before") == "7"


def test_a_blocking_call_is_abandoned_after_an_interrupt(kernel):
    km, kc = kernel
    msg_id = kc.execute('Console.WriteLine("blocking"); Console.Out.Flush();\nSystem.Threading.Thread.Sleep(600_000);')
    wait_for_output(kc, msg_id, "blocking")
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=30)
    assert reply["content"]["ename"] == "KeyboardInterrupt" and "abandoned" in reply["content"]["evalue"]
    assert value(kc, "2 * 21") == "42"


def test_training_in_library_code_stops_between_steps(kernel):
    km, kc = kernel
    code = """var data = new SegmentationSplit(torch.rand(4, 1, 32, 32), torch.rand(4, 1, 32, 32).gt(0.5f).@float(), [0, 1, 2, 3]);
var config = new ModelConfig("unet", 1, 1, 4, 2, 0, false, 2, 32, 0, 1, "test");
var options = TrainOptions.Preset("default") with { Epochs = 100_000, Batch = 2, Patience = 1_000_000 };
var folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "interrupted-" + Guid.NewGuid());
var result = new Trainer(options, folder).Run(data, data, config, new TrainingCallbacks(p => { if (p.Step == 1) { Console.WriteLine("training"); Console.Out.Flush(); } }), Cancellation);
result.Interrupted"""
    msg_id = kc.execute(code)
    wait_for_output(kc, msg_id, "training")
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=30)
    assert reply["parent_header"]["msg_id"] == msg_id
    # The trainer noticed at its next step, kept a checkpoint and returned; nothing was abandoned.
    assert reply["content"]["status"] == "ok", reply["content"]
    assert value(kc, "result.Interrupted") == "True"
    assert value(kc, "File.Exists(result.LastCheckpoint)") == "True"


def test_forged_and_malformed_messages_are_dropped(kernel):
    km, kc = kernel
    info = km.get_connection_info()
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.connect(f"tcp://{info['ip']}:{info['shell_port']}")
    header = b'{"msg_id": "x", "session": "s", "username": "u", "date": "", "msg_type": "execute_request", "version": "5.3"}'
    content = b'{"code": "Environment.Exit(3);", "silent": false}'
    socket.send_multipart([b"<IDS|MSG>", b"0" * 64, header, b"{}", b"{}", content])  # wrong signature
    socket.send_multipart([b"garbage"])
    socket.send_multipart([b"<IDS|MSG>", b"", b"not json", b"{}", b"{}", b"{}"])
    socket.close(linger=5000)  # returns once the three messages are handed over
    assert value(kc, '"still here"') == "still here"
    assert value(kc, "1 + 2") == "3" and km.is_alive()


def test_rich_outputs(kernel):
    _, kc = kernel
    _, outputs = run(kc, 'var h = Display("first");\nh.Update("second");\nDisplay(new[] { new { epoch = 1, dice = 0.5 }, new { epoch = 2, dice = 0.6 } });')
    kinds = [o["msg_type"] for o in outputs]
    assert kinds == ["display_data", "update_display_data", "display_data"]
    assert outputs[0]["content"]["transient"]["display_id"] == outputs[1]["content"]["transient"]["display_id"]
    assert "<td>0.6</td>" in outputs[2]["content"]["data"]["text/html"]
    content, outputs = run(kc, "Overlay(torch.rand(64, 64), torch.rand(64, 64).gt(0.8f).@float())")
    assert "image/png" in outputs[0]["content"]["data"]
