"""Finding and checking the shared library; status codes and the error type."""
import ctypes.util
import os
import subprocess
import sys

import pytest

import dsinfer
from dsinfer import _lib


def run_python(code, library):
    env = dict(os.environ, DSINFER_LIBRARY=library, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


PROBE = """
import dsinfer
try:
    dsinfer.Model.builtin()
except dsinfer.DsinferError as e:
    print(e.status.name, e.message)
"""


def test_versions():
    assert dsinfer.ABI_VERSION == 1
    assert "." in dsinfer.library_version()


def test_missing_library_is_a_clear_error():
    r = run_python(PROBE, "/nonexistent/libdsinfer.so")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("IO libdsinfer not found at /nonexistent/libdsinfer.so")


def test_a_library_that_is_not_dsinfer_is_refused():
    libc = ctypes.util.find_library("c")
    if not libc:
        pytest.skip("no libc to load")
    r = run_python(PROBE, libc)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("UNSUPPORTED"), r.stdout
    assert "dsi_abi_version" in r.stdout


def test_abi_mismatch_is_refused_before_any_other_call(monkeypatch):
    path = os.environ.get("DSINFER_LIBRARY") or _lib.lib()._name
    monkeypatch.setattr(_lib, "ABI_VERSION", 2)
    with pytest.raises(dsinfer.DsinferError) as e:
        _lib.open_library(path)
    assert e.value.status == dsinfer.Status.UNSUPPORTED
    assert "ABI version 1" in e.value.message and "written for 2" in e.value.message


def test_load_library_names_the_loaded_one():
    dsinfer.load_library()  # already loaded: a no-op
    with pytest.raises(dsinfer.DsinferError):
        dsinfer.load_library("/some/other/libdsinfer.so")


def test_status_and_error():
    e = dsinfer.DsinferError(2, "no file")
    assert e.status == dsinfer.Status.IO and e.status.name == "IO" and e.code == 2
    assert str(e) == "IO: no file"
    assert dsinfer.Status(99).name == "UNKNOWN_99" and int(dsinfer.Status(99)) == 99
    # The names match the library's own (DSI_ERR_<name>).
    for s in dsinfer.Status:
        want = "DSI_OK" if s == 0 else "DSI_ERR_" + s.name
        assert _lib.lib().dsi_status_name(int(s)).decode() == want
