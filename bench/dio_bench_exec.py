# SPDX-License-Identifier: GPL-2.0-or-later
"""How bench/compare-peers and bench/sweep run a build tree's dio-bench."""

import os
import re
import subprocess


def find_dio_bench(build_dir):
    """(path, environment, note) to run the build tree's dio-bench with.

    bench/dio-bench in a build tree is libtool's wrapper, a shell script
    that sets the library path and execs bench/.libs/dio-bench.  wait4()
    charges the shell to dio-bench: about 13 ms of CPU per run here, 1-3%
    of CPU per I/O in a 3 s run, which no peer pays.  So the binary is run
    directly with the build's libpindio first on the library path, as the
    wrapper would, once ldd confirms that is the libpindio it loads.
    """
    wrapper = os.path.join(build_dir, "bench", "dio-bench")
    env = dict(os.environ)
    try:
        with open(wrapper, "rb") as f:
            is_script = f.read(2) == b"#!"
    except OSError:
        return wrapper, env, None
    if not is_script:
        return wrapper, env, None
    libdir = os.path.realpath(os.path.join(build_dir, "src", ".libs"))
    for name in ("lt-dio-bench", "dio-bench"):
        binary = os.path.join(build_dir, "bench", ".libs", name)
        if os.access(binary, os.X_OK):
            break
    else:
        return wrapper, env, "no bench/.libs/dio-bench: running libtool's wrapper"
    env["LD_LIBRARY_PATH"] = libdir + (":" + env["LD_LIBRARY_PATH"]
                                       if env.get("LD_LIBRARY_PATH") else "")
    r = subprocess.run(["ldd", binary], env=env, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    m = re.search(r"libpindio\.so\S*\s*=>\s*(\S+)", r.stdout)
    if not m or os.path.dirname(os.path.realpath(m.group(1))) != libdir:
        return (wrapper, dict(os.environ),
                f"{binary} does not load {libdir}'s libpindio: running libtool's wrapper")
    return binary, env, None
