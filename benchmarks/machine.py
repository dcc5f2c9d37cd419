"""A description of the machine a benchmark ran on, for the lines it prints before its figures."""

import os
import platform


def cpu_model():
    """Return the CPU model name from /proc/cpuinfo, or what the platform module reports."""
    try:
        with open("/proc/cpuinfo", "r", encoding="utf-8") as cpuinfo:
            return next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def memory_size():
    """Return the total memory from /proc/meminfo, such as "23.4 GiB", or "unknown"."""
    try:
        with open("/proc/meminfo", "r", encoding="utf-8") as meminfo:
            kilobytes = int(next(line.split()[1] for line in meminfo if line.startswith("MemTotal:")))
    except (OSError, StopIteration, ValueError):
        return "unknown"
    return "%.1f GiB" % (kilobytes / 1024 / 1024)


def machine_line():
    """Return one line with the platform, CPU count and model, and memory size."""
    return "machine: %s, %d CPUs (%s), %s memory" % (
        platform.platform(), os.cpu_count() or 0, cpu_model(), memory_size())
