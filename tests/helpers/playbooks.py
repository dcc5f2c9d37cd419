"""Run ansible-playbook from the checkout and read its results through the JSON stdout callback."""

import json
import os
import subprocess
import sys
import tempfile

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


class PlaybookRun:
    """Outcome of one ansible-playbook run: exit code, raw output and the parsed JSON report."""

    def __init__(self, completed, report):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.report = report

    def task_results(self, name):
        """Return the localhost results of every task with this name, in run order.

        Role tasks are reported as "<role> : <name>"; either form matches.
        """
        results = []
        for play in self.report.get("plays", []):
            for task in play.get("tasks", []):
                reported = task["task"]["name"]
                if reported == name or reported.endswith(" : " + name):
                    results.append(task["hosts"].get("localhost", {}))
        return results

    def task_result(self, name):
        results = self.task_results(name)
        assert results, "task %r did not run; output:\n%s" % (name, self.stdout[-4000:])
        return results[-1]

    @property
    def stats(self):
        return self.report.get("stats", {}).get("localhost", {})


def run_playbook(playbook, extra_vars=None, check=False, diff=False, env=None, args=(), timeout=900):
    """Run a playbook (a path, or a list of plays written to a temporary file) from the repository root."""
    with tempfile.TemporaryDirectory() as workdir:
        if not isinstance(playbook, str):
            path = os.path.join(workdir, "playbook.yml")
            with open(path, "w", encoding="utf-8") as handle:
                yaml.safe_dump(playbook, handle, sort_keys=False)
            playbook = path
        command = [ANSIBLE_PLAYBOOK, playbook]
        if extra_vars:
            vars_path = os.path.join(workdir, "extra_vars.json")
            with open(vars_path, "w", encoding="utf-8") as handle:
                json.dump(extra_vars, handle)
            command += ["-e", "@" + vars_path]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        command += list(args)

        run_env = dict(os.environ)
        run_env.update({
            "ANSIBLE_CONFIG": os.path.join(REPO_ROOT, "ansible.cfg"),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_NOCOLOR": "1",
        })
        run_env.update(env or {})
        completed = subprocess.run(command, cwd=REPO_ROOT, env=run_env, capture_output=True, text=True,
                                   timeout=timeout, check=False)

    try:
        report = json.loads(completed.stdout)
    except ValueError:
        report = {}
    return PlaybookRun(completed, report)
