"""Bootstrap pip into an empty virtualenv for ansible-test, from Python's bundled pip and PyPI.

ansible-test creates its virtualenvs without pip and installs pip by running a get-pip script that it
downloads from ci-files.testing.ansible.com, or takes from ~/.ansible/test/cache/get_pip_<version>.py
when that file exists. Machines that reach PyPI but not that host get this script in the cache
instead. It accepts the same arguments: pip install options and packages, plus get-pip's own
--no-setuptools and --no-wheel, which need no action here because ensurepip installs neither.
"""

import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")


def main():
    arguments = [argument for argument in sys.argv[1:] if argument not in GET_PIP_ONLY_OPTIONS]
    environment = dict(os.environ)
    # ensurepip points PIP_CONFIG_FILE at os.devnull in this process; the pip run below must read
    # the machine's pip configuration (index, certificates) again, so it gets the original environment.
    ensurepip.bootstrap(upgrade=True)
    return subprocess.call([sys.executable, "-m", "pip", "install"] + arguments, env=environment)


if __name__ == "__main__":
    sys.exit(main())
