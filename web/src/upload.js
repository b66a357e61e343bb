// Uploads on the history page: files chosen or dropped go to the server resumably (tus, in 10 MB chunks, with
// progress, speed and cancel), then become datasets of the history (POST /api/tools/fetch), as BioBlend uploads.
(() => {
  const section = document.querySelector(".upload");
  if (!section) return;
  const history = section.dataset.history, token = section.dataset.token;
  const list = document.getElementById("uploads"), input = document.getElementById("files");
  const type = document.getElementById("file-type"), drop = document.getElementById("drop");

  input.addEventListener("change", () => { for (const file of input.files) start(file); input.value = ""; });
  drop.addEventListener("dragover", event => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", event => {
    event.preventDefault();
    drop.classList.remove("over");
    for (const file of event.dataTransfer.files) start(file);
  });

  function start(file) {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = Math.max(file.size, 1);
    bar.value = 0;
    bar.setAttribute("aria-label", `Upload of ${file.name}`);
    const status = document.createElement("span");
    status.className = "status";
    status.textContent = "starting";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "link";
    cancel.textContent = "Cancel";
    cancel.setAttribute("aria-label", `Cancel the upload of ${file.name}`);
    item.append(name, bar, status, cancel);
    list.append(item);

    const began = performance.now();
    const upload = new tus.Upload(file, {
      endpoint: "/api/upload/resumable_upload",
      chunkSize: 10_000_000,
      retryDelays: [0, 1000, 3000, 5000],
      headers: { RequestVerificationToken: token },
      metadata: { filename: file.name },
      onProgress(sent, total) {
        bar.value = sent;
        const seconds = Math.max((performance.now() - began) / 1000, 0.001);
        status.textContent = `${Math.round(100 * sent / total)}%, ${(sent / 1e6 / seconds).toFixed(1)} MB/s`;
      },
      onError(error) {
        status.textContent = "failed: " + reason(error);
        cancel.remove();
      },
      async onSuccess() {
        bar.value = bar.max;
        status.textContent = "storing";
        cancel.remove();
        const response = await fetch("/api/tools/fetch", {
          method: "POST",
          headers: { "Content-Type": "application/json", RequestVerificationToken: token },
          body: JSON.stringify({
            history_id: history,
            targets: [{ destination: { type: "hdas" }, elements: [{ src: "files", name: file.name, ext: type.value }] }],
            "files_0|file_data": { session_id: upload.url.split("/").pop(), name: file.name },
          }),
        });
        status.textContent = response.ok ? "stored" : "failed: " + (await response.json()).err_msg;
        htmx.ajax("GET", `/?handler=Contents&history=${history}`, { target: "#contents", swap: "outerHTML" });
      },
    });
    cancel.addEventListener("click", () => {
      upload.abort(true); // true: the server drops what it received
      status.textContent = "cancelled";
      cancel.remove();
    });
    upload.start();
  }

  // The server's Galaxy error message when there is one (a quota, a full disk), else the client's.
  function reason(error) {
    try { return JSON.parse(error.originalResponse.getBody()).err_msg; } catch { return error.message; }
  }
})();
