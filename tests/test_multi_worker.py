"""Training on several machines: TF_CONFIG, the chief alone writes, two real CPU workers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from training.cluster import ClusterConfigError, ClusterRole, cluster_role
from training.contract.labels import CLASS_NAMES

ROOT = Path(__file__).resolve().parent.parent


def _tf_config(workers: list[str], task_type: str = "worker", index: int = 0, chief: list[str] | None = None):
    cluster = {"worker": workers, **({"chief": chief} if chief else {})}
    return {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})}


def test_without_tf_config_one_worker_is_the_chief():
    assert cluster_role({}) == ClusterRole(workers=1, is_chief=True)
    assert not cluster_role({"TF_CONFIG": " "}).multi_worker


def test_worker_zero_is_the_chief_unless_a_chief_job_is_named():
    hosts = ["a:1", "b:2", "c:3"]
    first = cluster_role(_tf_config(hosts, index=0))
    assert first.multi_worker and first.is_chief and first.workers == 3
    assert not cluster_role(_tf_config(hosts, index=2)).is_chief
    with_chief = _tf_config(hosts, index=0, chief=["d:4"])
    assert cluster_role(with_chief).workers == 4 and not cluster_role(with_chief).is_chief
    assert cluster_role(_tf_config(hosts, "chief", 0, chief=["d:4"])).is_chief
    assert cluster_role(_tf_config(["a:1"])) == ClusterRole(workers=1, is_chief=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"cluster": {"worker": ["a:1"], "ps": ["b:2"]}, "task": {"type": "worker"}}', "ps"),
        ('{"cluster": {"worker": "a:1"}, "task": {"type": "worker"}}', "list of 'host:port'"),
        ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}', "not in its cluster"),
        ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "evaluator"}}', "task must be"),
    ],
)
def test_a_tf_config_that_names_no_place_is_refused_by_name(text, message):
    with pytest.raises(ClusterConfigError, match=message):
        cluster_role({"TF_CONFIG": text})


def test_train_refuses_a_bad_tf_config_and_a_time_budget_across_workers(tmp_path, monkeypatch, capsys):
    from fer_desktop.cli import main

    args = ["train", "--data", str(tmp_path), "--out", str(tmp_path / "out")]
    monkeypatch.setenv("TF_CONFIG", "{broken")
    assert main(args) == 1
    assert "TF_CONFIG is not valid JSON" in capsys.readouterr().err
    monkeypatch.setenv("TF_CONFIG", _tf_config(["a:1", "b:2"])["TF_CONFIG"])
    assert main([*args, "--max-minutes", "5"]) == 1
    assert "--max-minutes cannot be used with several workers" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("localhost", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _tiny_dataset(root: Path, per_class: int = 5) -> Path:
    """A class-folder tree of 48x48 grayscale images whose pattern depends on the class."""
    for label, name in enumerate(CLASS_NAMES):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            img = np.random.default_rng(label * 100 + i).integers(0, 60, (48, 48)).astype(np.uint8)
            img[:, label * 6 : label * 6 + 8] = 230
            cv2.imwrite(str(folder / f"{i}.png"), img)
    return root


def _run_workers(tmp_path: Path, datas: list[Path]) -> tuple[list[int], list[str], list[Path]]:
    """Start one `fer-desktop train` worker per dataset on free localhost ports; their exit codes,
    output and --out folders.  Each worker's temporary folder is ``tmp_path/tmpI``."""
    hosts = [f"localhost:{p}" for p in _free_ports(len(datas))]
    outs = [tmp_path / f"out{i}" for i in range(len(datas))]
    procs = []
    for index, (data, out) in enumerate(zip(datas, outs, strict=True)):
        scratch = tmp_path / f"tmp{index}"
        scratch.mkdir()
        env = {**os.environ, **_tf_config(hosts, index=index), "PYTHONPATH": str(ROOT)}
        env["TMPDIR"] = str(scratch)
        cmd = [sys.executable, "-m", "fer_desktop", "train", "--data", str(data), "--epochs", "1",
               "--batch-size", "8", "--width", "8", "--out", str(out)]  # fmt: skip
        procs.append(
            subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        )
    logs = []
    try:
        for proc in procs:
            logs.append(proc.communicate(timeout=240)[0])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return [p.returncode for p in procs], logs, outs


@pytest.mark.timeout(280)  # ~25 s on an idle 2-core machine; both workers start TensorFlow at once
def test_two_cpu_workers_train_together_and_only_the_chief_writes(tmp_path):
    data = _tiny_dataset(tmp_path / "data")
    codes, logs, outs = _run_workers(tmp_path, [data, data])
    assert codes == [0, 0], "\n\n".join(log[-3000:] for log in logs)
    assert "model written to" in logs[0]
    assert "worker 1 of 2 workers (non-chief): 1 epoch done" in logs[1]

    from training.model import load_model

    model = load_model(outs[0] / "model.keras")
    assert model.output_shape == (None, len(CLASS_NAMES))
    card = json.loads((outs[0] / "model.card.json").read_text())
    assert card["distribution"] == {"strategy": "MultiWorkerMirroredStrategy", "workers": 2, "replicas": 2}
    assert card["training"]["epochs_run"] == 1
    assert (outs[0] / "model.tflite").is_file() and not (outs[0] / "best.keras").exists()  # one file set
    # The non-chief wrote nothing where it was told to, and left no scratch checkpoint behind.
    assert not outs[1].exists()
    assert list((tmp_path / "tmp1").iterdir()) == []


@pytest.mark.timeout(280)  # the chief notices within seconds (heartbeats); ~20 s on an idle machine
def test_a_worker_that_stops_is_reported_by_the_others_in_words(tmp_path):
    data = _tiny_dataset(tmp_path / "data")
    codes, logs, outs = _run_workers(tmp_path, [data, tmp_path / "no-such-data"])
    assert codes == [1, 1], "\n\n".join(log[-3000:] for log in logs)
    assert "no-such-data: not a dataset" in logs[1]
    assert "error: training stopped: another worker stopped or cannot be reached" in logs[0]
    assert "Traceback" not in logs[0]
    assert not (outs[0] / "model.keras").exists()


def test_a_tf_config_left_in_the_shell_never_makes_the_app_wait_for_peers(tmp_path, monkeypatch):
    """Only `fer-desktop train` reads TF_CONFIG; the Train tab calls train() without a role."""
    from training.config import TrainConfig
    from training.fit import train

    ports = _free_ports(2)
    monkeypatch.setenv("TF_CONFIG", _tf_config([f"localhost:{p}" for p in ports])["TF_CONFIG"])
    data = _tiny_dataset(tmp_path / "data", per_class=8)
    config = TrainConfig(data=str(data), out=str(tmp_path / "out"), epochs=1, width=8, batch_size=8)
    card = train(config)
    assert card["distribution"]["workers"] == 1 and (tmp_path / "out" / "model.keras").is_file()
