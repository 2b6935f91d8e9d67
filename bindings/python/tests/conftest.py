"""Shared fixtures. run-tests.sh sets the environment; run by hand, the checkpoints default
to the repository's build/tests/checkpoints and tests needing the CLI's ids are skipped."""
import json
import os
import pathlib

import pytest

import dsinfer

ROOT = pathlib.Path(__file__).resolve().parents[3]
CHECKPOINTS = pathlib.Path(os.environ.get("DSINFER_TEST_CHECKPOINTS", ROOT / "build" / "tests" / "checkpoints"))
WORK = os.environ.get("DSINFER_TEST_WORK")


def checkpoint(name, file="model.gguf"):
    path = CHECKPOINTS / name / file
    if not path.exists():
        pytest.skip("no checkpoint %s (build the tests' checkpoints first)" % path)
    return path


def cli_ids(name):
    """Ids the C++ CLI generated (written by run-tests.sh)."""
    if not WORK or not (pathlib.Path(WORK) / name).exists():
        pytest.skip("no %s from the CLI: run bindings/python/run-tests.sh" % name)
    return json.loads((pathlib.Path(WORK) / name).read_text())


@pytest.fixture(scope="session")
def builtin():
    with dsinfer.Model.builtin() as m:
        yield m


@pytest.fixture(scope="session")
def qwen2():
    with dsinfer.Model.load(checkpoint("qwen2")) as m:
        yield m


@pytest.fixture(scope="session")
def v2lite():
    with dsinfer.Model.load(checkpoint("v2lite")) as m:
        yield m
