"""What the benchmark ran on: the machine and the versions of everything measured."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_PACKAGES = (
    "aio-eventstore",
    "aiobotocore",
    "botocore",
    "aiohttp",
    "boto3",
    "moto",
    "opentelemetry-api",
    "opentelemetry-sdk",
)
_NODE_PACKAGES = ("dynalite", "dynamodb-event-store", "aws-sdk")


def describe() -> dict[str, str]:
    """The CPU, cores, OS and versions, as text."""
    versions = [f"{name} {_version(name)}" for name in _PACKAGES]
    versions += [f"{name} {_node_package_version(name)}" for name in _NODE_PACKAGES]
    return {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "node": _node_version(),
        "packages": ", ".join(versions),
    }


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _node_package_version(package: str) -> str:
    manifest = ROOT / "node_modules" / package / "package.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _node_version() -> str:
    node = shutil.which("node")
    if node is None:
        return "not installed"
    answer = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    return answer.stdout.strip()
