#!/usr/bin/python3
"""Scapy as a benchmark peer: read a capture and group it into sessions.

rdpcap() dissects every packet into layer objects; PacketList.sessions()
groups them by Scapy's (one-direction) session key. That is the usual Scapy
way to do what `pcapscope sessions` does. Run with Debian's interpreter
(/usr/bin/python3): python3-scapy lives in its dist-packages.

usage: scapy_sessions.py FILE
"""
import sys

# scapy.all, not scapy.utils: it loads the layers; without them rdpcap sees
# an unknown link type and leaves every packet as Raw bytes.
from scapy.all import rdpcap


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    packets = rdpcap(sys.argv[1])
    sessions = packets.sessions()
    print(f"{len(packets)} packets, {len(sessions)} sessions")


if __name__ == "__main__":
    main()
