#!/usr/bin/env python3
"""The query cookbook (docs/queries.md) is executable documentation: every
```console block holds one command (`$ ...`, continued until its quotes
close) and the output it must print. This runs each command on the capture
pcapscope-make-incidents writes, with a fresh baseline each time, and fails
on any difference. --update rewrites the outputs instead (read the diff).

usage: cookbook.py PCAPSCOPE SHARED MAKE_INCIDENTS QUERIES_MD [--update]
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def split_block(text):
    """(command, expected output lines) of one console block."""
    lines = text.rstrip("\n").split("\n")
    if not lines or not lines[0].startswith("$ "):
        raise ValueError(f"a console block must start with '$ ': {lines[:1]}")
    cmd = lines[0][2:]
    i = 1
    while True:
        try:
            shlex.split(cmd)
            break
        except ValueError:  # an open quote: the command goes on
            if i >= len(lines):
                raise ValueError(f"unterminated command: {cmd}")
            cmd += "\n" + lines[i]
            i += 1
    return cmd, lines[i:]


def run(cmd, workdir, bindir):
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""), TZ="UTC", NO_COLOR="1")
    fd, baseline = tempfile.mkstemp(dir=workdir, suffix=".sqlite")
    os.close(fd)
    os.unlink(baseline)  # a fresh baseline: created by the first analyze that needs it
    env["PCAPSCOPE_BASELINE"] = baseline
    p = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=workdir, env=env, capture_output=True, text=True,
                       timeout=300)
    return p.returncode, [l.rstrip() for l in p.stdout.rstrip("\n").split("\n")], p.stderr


def main():
    args = [a for a in sys.argv[1:] if a != "--update"]
    update = "--update" in sys.argv
    binary, _shared, make_incidents, doc = args[:4]
    bindir = os.path.dirname(os.path.abspath(binary))
    text = open(doc, encoding="utf-8").read()
    failures = []
    blocks = 0
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([make_incidents, os.path.join(work, "incidents.pcap")], check=True, capture_output=True)

        def replace(m):
            nonlocal blocks
            blocks += 1
            cmd, expected = split_block(m.group(1))
            rc, got, err = run(cmd, work, bindir)
            if rc != 0:
                failures.append(f"exit {rc}: {cmd}\n{err.strip()}")
                return m.group(0)
            if not any(got):
                failures.append(f"no output (a cookbook answer must find something): {cmd}")
            if update:
                return "```console\n$ " + cmd + "\n" + "\n".join(got) + "\n```"
            exp = [l.rstrip() for l in expected]
            while exp and not exp[-1]:
                exp.pop()
            if exp != got:
                diff = "\n".join(f"  - {l}" for l in exp) + "\n" + "\n".join(f"  + {l}" for l in got)
                failures.append(f"output differs: {cmd}\n{diff}")
            return m.group(0)

        new_text = BLOCK.sub(replace, text)
    if update and new_text != text and not failures:
        open(doc, "w", encoding="utf-8").write(new_text)
        print(f"cookbook: rewrote the outputs of {doc}")
    if blocks < 14:
        failures.append(f"only {blocks} console blocks in {doc}: every question needs a filter and an SQL answer")
    for f in failures:
        print("FAIL", f)
    print(f"cookbook: {blocks} commands, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
