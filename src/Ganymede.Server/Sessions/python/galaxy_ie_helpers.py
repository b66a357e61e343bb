"""get and put, as the original system's galaxy-ie-helpers: datasets of the session's history in and out.

In a notebook session the server sets GALAXY_URL, API_KEY (a key of the session's own, which ends with it) and
HISTORY_ID; elsewhere, set them yourself. get copies datasets into the session's inputs/ folder; put stores a file as
a new dataset of the history.
"""
import os
import re

from bioblend.galaxy import GalaxyInstance

__all__ = ["get", "put"]


def _galaxy():
    try:
        return GalaxyInstance(os.environ["GALAXY_URL"], key=os.environ["API_KEY"])
    except KeyError as e:
        raise RuntimeError("get and put need GALAXY_URL and API_KEY (a notebook session sets them)") from e


def _history(history_id):
    history_id = history_id or os.environ.get("HISTORY_ID")
    if not history_id:
        raise RuntimeError("name a history_id, or set HISTORY_ID (a notebook session sets it)")
    return history_id


def _file_name(dataset):
    name = re.sub(r"[^A-Za-z0-9._-]", "_", dataset["name"]).lstrip(".") or "dataset"
    extension = dataset.get("extension") or dataset.get("file_ext") or ""
    if extension not in ("", "data") and not name.lower().endswith("." + extension.lower()):
        name += "." + extension
    return name


def _find(contents, identifier, identifier_type):
    datasets = [d for d in contents if not d.get("deleted") and d.get("history_content_type", "dataset") == "dataset"]
    if identifier_type == "hid":
        found = [d for d in datasets if str(d["hid"]) == str(identifier)]
    elif identifier_type == "name":
        found = [d for d in datasets if d["name"] == identifier]
    else:
        raise ValueError("identifier_type is 'hid' or 'name', not %r" % identifier_type)
    if not found:
        known = ", ".join("%s: %s" % (d["hid"], d["name"]) for d in datasets) or "none"
        raise LookupError("the history has no dataset with %s %r; it has %s" % (identifier_type, identifier, known))
    return max(found, key=lambda d: d["hid"])  # the newest of that name


def get(datasets_identifiers, identifier_type="hid", history_id=None):
    """Copies datasets of the history (by hid, or by name with identifier_type="name") into inputs/ and returns
    their paths: one path for one identifier, a list for a list."""
    single = not isinstance(datasets_identifiers, (list, tuple))
    identifiers = [datasets_identifiers] if single else list(datasets_identifiers)
    galaxy = _galaxy()
    contents = galaxy.histories.show_history(_history(history_id), contents=True, details="all")
    folder = os.environ.get("GANYMEDE_INPUTS", "inputs")
    os.makedirs(folder, exist_ok=True)
    paths = []
    for identifier in identifiers:
        dataset = _find(contents, identifier, identifier_type)
        path = os.path.join(folder, _file_name(dataset))
        partial = path + ".part"
        galaxy.datasets.download_dataset(dataset["id"], file_path=partial, use_default_filename=False, require_ok_state=True)
        os.replace(partial, path)  # never a half-copied dataset under its name
        paths.append(path)
    return paths[0] if single else paths


def put(filename, file_type="auto", history_id=None, name=None):
    """Stores a file as a new dataset of the history (its type detected unless file_type names one); returns the dataset."""
    if not os.path.isfile(filename):
        raise FileNotFoundError("%s: no such file" % filename)
    run = _galaxy().tools.upload_file(filename, _history(history_id), file_type=file_type, file_name=name or os.path.basename(filename))
    return run["outputs"][0]
