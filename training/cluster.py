"""This process's place in a multi-worker training run, read from ``TF_CONFIG`` without TensorFlow.

TensorFlow's ``MultiWorkerMirroredStrategy`` reads the same variable; the CLI needs the answer
before TensorFlow loads (a non-chief worker must not check or create ``--out``), so the rules of
``tf.distribute`` (worker 0 is the chief unless a ``chief`` job is named) are applied here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

_TRAINING_JOBS = ("chief", "worker")


class ClusterConfigError(ValueError):
    """``TF_CONFIG`` is set but cannot describe this process's place in a cluster."""


class WorkerLostError(RuntimeError):
    """Another worker of a multi-worker training stopped or cannot be reached."""


@dataclass(frozen=True)
class ClusterRole:
    """How many processes train together and which one this is."""

    workers: int = 1  # chief + workers: every process that trains
    task_type: str = "worker"
    task_index: int = 0
    is_chief: bool = True

    @property
    def multi_worker(self) -> bool:
        return self.workers > 1

    def describe(self) -> str:
        role = "chief" if self.is_chief else "non-chief"
        return f"{self.task_type} {self.task_index} of {self.workers} workers ({role})"


def cluster_role(environ: dict[str, str] | None = None) -> ClusterRole:
    """The role ``TF_CONFIG`` gives this process; one worker (the chief) when it is unset."""
    text = (os.environ if environ is None else environ).get("TF_CONFIG", "").strip()
    if not text:
        return ClusterRole()
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ClusterConfigError(f"TF_CONFIG is not valid JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ClusterConfigError("TF_CONFIG must be a JSON object with 'cluster' and 'task'")
    cluster = config.get("cluster") or {}
    task = config.get("task") or {}
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ClusterConfigError("TF_CONFIG's 'cluster' and 'task' must be JSON objects")
    unknown = sorted(set(cluster) - set(_TRAINING_JOBS))
    if unknown:
        raise ClusterConfigError(
            f"TF_CONFIG names job(s) {', '.join(unknown)}: only 'chief' and 'worker' train here"
        )
    sizes = {job: _job_size(cluster, job) for job in _TRAINING_JOBS}
    if sizes["chief"] > 1:
        raise ClusterConfigError("TF_CONFIG names more than one chief")
    workers = sizes["chief"] + sizes["worker"]
    if workers == 0:
        return ClusterRole()
    task_type = task.get("type")
    task_index = task.get("index", 0)
    if task_type not in _TRAINING_JOBS or not isinstance(task_index, int):
        raise ClusterConfigError(
            f"TF_CONFIG's task must be {{'type': 'chief' or 'worker', 'index': N}}, not {task!r}"
        )
    if not 0 <= task_index < sizes[task_type]:
        raise ClusterConfigError(
            f"TF_CONFIG's task {task_type} {task_index} is not in its cluster "
            f"({sizes[task_type]} {task_type} address(es))"
        )
    is_chief = task_type == "chief" or (sizes["chief"] == 0 and task_index == 0)
    return ClusterRole(workers, task_type, task_index, is_chief)


def _job_size(cluster: dict, job: str) -> int:
    addresses = cluster.get(job, [])
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        raise ClusterConfigError(f"TF_CONFIG's cluster '{job}' must be a list of 'host:port' strings")
    return len(addresses)
