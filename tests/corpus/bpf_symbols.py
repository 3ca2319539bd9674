#!/usr/bin/env python3
"""pcapscope is read-only: of libpcap it may import only the offline filter
entry points. Anything that opens a device, activates a capture or sends a
packet (pcap_open_live, pcap_create, pcap_activate, pcap_inject,
pcap_sendpacket ...) must never be linked in, even unused."""
import re
import shutil
import sys

from common import fail, run

ALLOWED = {"pcap_open_dead", "pcap_compile", "pcap_offline_filter", "pcap_freecode", "pcap_geterr", "pcap_close"}
FORBIDDEN = {"pcap_open_live", "pcap_create", "pcap_activate", "pcap_inject", "pcap_sendpacket",
             "pcap_open", "pcap_findalldevs", "pcap_lookupdev", "pcap_setfilter", "pcap_sendqueue_transmit"}
# What the build links libpcap for; if these are missing the check below is looking at the wrong thing.
REQUIRED = {"pcap_compile", "pcap_offline_filter"}

binary = sys.argv[1]
if shutil.which("nm"):
    p = run(["nm", "-D", "--undefined-only", binary])
    names = [line.split()[-1] for line in p.stdout.decode().splitlines() if line.strip()]
elif shutil.which("objdump"):
    p = run(["objdump", "-T", binary])
    names = [line.split()[-1] for line in p.stdout.decode().splitlines() if "*UND*" in line]
else:
    fail("neither nm nor objdump is installed (binutils)")
if p.returncode != 0:
    fail(f"listing dynamic symbols of {binary}: {p.stderr.decode(errors='replace')[:300]}")

# "pcap_compile@..." carries a symbol version on some builds.
imported = {re.sub(r"@.*", "", n) for n in names}
pcap = {n for n in imported if n.startswith("pcap_") or n.startswith("bpf_")}
print("libpcap symbols imported:", " ".join(sorted(pcap)) or "(none)")
if imported & FORBIDDEN:
    fail(f"capture or injection entry points imported: {sorted(imported & FORBIDDEN)}")
if not pcap <= ALLOWED:
    fail(f"libpcap symbols outside the allowed offline set: {sorted(pcap - ALLOWED)}")
if not REQUIRED <= pcap:
    fail(f"expected {sorted(REQUIRED)} among the imports (is libpcap linked dynamically?); got {sorted(pcap)}")
print("ok: only offline filter entry points of libpcap are imported")
