"""Big torch tensors are allocated on transparent huge pages (freeing them is quick)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def test_importing_explorer_turns_on_torch_huge_page_allocations():
    """Before: torch used 4 kB pages; freeing a 1 GB map held the interpreter lock for
    ~100 ms (munmap of 262,144 pages inside the tensor's deallocation)."""
    env = {k: v for k, v in os.environ.items() if k != "THP_MEM_ALLOC_ENABLE"}
    script = "import explorer, os; print(os.environ.get('THP_MEM_ALLOC_ENABLE'))"
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "1"
    env["THP_MEM_ALLOC_ENABLE"] = "0"  # the user's own choice is kept
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "0"


SMAPS_SCRIPT = """
import explorer, torch
def flags(ptr):
    inside = False
    for line in open("/proc/self/smaps"):
        head = line.split()[0]
        if "-" in head and not head.endswith(":"):
            low, high = (int(x, 16) for x in head.split("-"))
            inside = low <= ptr < high
        elif inside and head == "VmFlags:":
            return line.split()[1:]
    return []
tensor = torch.ones(2**22)  # kept alive while its mapping is read
print("hg" in flags(tensor.data_ptr()))
"""


@pytest.mark.skipif(
    not os.path.exists("/proc/self/smaps"), reason="Linux's /proc shows the page advice"
)
def test_a_16_mb_tensor_is_advised_onto_huge_pages():
    """Its mapping carries the kernel's ``hg`` flag (madvise MADV_HUGEPAGE)."""
    env = {k: v for k, v in os.environ.items() if k != "THP_MEM_ALLOC_ENABLE"}
    out = subprocess.run(
        [sys.executable, "-c", SMAPS_SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
