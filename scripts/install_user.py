#!/usr/bin/env python3
"""install_user.py - put every program built from user/ into /bin on a
holdfs image, replacing older copies (build/tools/holdfs IMG put).

    python3 scripts/install_user.py --build-dir build --image build/pmem.img [--size 128M]

A missing image is created (of --size) and formatted with mkfs.holdfs
first, as scripts/qemu.py would.  When the image cannot take them (not
holdfs, say: a blank NVDIMM to be formatted at the prompt) it says so and
exits 0 all the same, so that `make run` still boots.
"""
import argparse
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402  (parse_size, format_image)


def tool(build_dir, *args):
    return subprocess.run([os.path.join(build_dir, "tools", "holdfs"), *args],
                          capture_output=True, text=True)


def install(build_dir, image, programs=None):
    """Install @programs (default: build/user/*) into /bin of @image.
    Returns None or what went wrong."""
    programs = programs or sorted(glob.glob(os.path.join(build_dir, "user", "*")))
    tool(build_dir, image, "mkdir", "/bin")          # fails harmlessly if it exists
    for prog in programs:
        dest = "/bin/" + os.path.basename(prog)
        tool(build_dir, image, "rm", dest)
        r = tool(build_dir, image, "put", "-p", prog, dest)   # -p: keep 0755
        if r.returncode:
            return f"holdfs put {prog} {dest}: {r.stderr.strip() or r.stdout.strip()}"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--image", required=True)
    ap.add_argument("--size", default="128M")
    a = ap.parse_args()
    if not a.image:
        return 0
    if not os.path.exists(a.image):
        with open(a.image, "wb") as f:
            f.truncate(qemu.parse_size(a.size))
        qemu.format_image(a.image, a.build_dir)
    problem = install(a.build_dir, a.image)
    if problem:
        # An image made blank on purpose (formatted later at the prompt)
        # still boots: say what happened and go on.
        print(f"install_user: the programs are not in /bin of {a.image}: {problem}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
