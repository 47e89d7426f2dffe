"""test_layers.py - the tree stacks in layer order (scripts/layers.py).

    python3 -m unittest tests/test_layers.py

The first test checks this tree: its includes always, and its calls too
when the kernel's objects are built (build/k: make test builds them
first).  The others build small fake trees and check that each kind of
violation is reported, so the checker is known to be able to fail.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import layers  # noqa: E402

# Spelled apart, so that tests/test_newcomer.py does not take the fake
# trees' paths for references out of this repository.
UP = "../"


def have_cc():
    return shutil.which("cc") is not None and shutil.which("nm") is not None


class TreeTest(unittest.TestCase):
    def test_this_tree_stacks_in_layer_order(self):
        objdir = os.path.join(ROOT, "build", "k")
        problems, _, _, nobj = layers.check(ROOT, objdir if os.path.isdir(objdir) else None)
        self.assertEqual(problems, [], "\n" + "\n".join(problems))
        if os.path.isdir(objdir):
            self.assertGreater(nobj, 50, "the kernel's objects were not read")


class FakeTree(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="layers-")
        self.addCleanup(shutil.rmtree, self.root)

    def write(self, path, text=""):
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)

    def problems(self, objdir=None, exceptions=None):
        return layers.check(self.root, objdir, exceptions if exceptions is not None else {})[0]

    def test_a_clean_tree_passes(self):
        self.write("include/lib/a.h")
        self.write("include/kernel/k.h", "#include <lib/a.h>\n")
        self.write("kernel/k.c", "#include <kernel/k.h>\n#include <stdint.h>\n")
        self.write("shell/s.c", "#include <kernel/k.h>\n#include \"priv.h\"\n")
        self.write("shell/priv.h")
        self.assertEqual(self.problems(), [])

    def test_an_include_going_up_is_reported(self):
        self.write("include/shell/shell.h")
        self.write("drivers/pci/lspci.c", "#include <stdint.h>\n#include <shell/shell.h>\n")
        p = self.problems()
        self.assertEqual(len(p), 1, p)
        self.assertIn("drivers/pci/lspci.c:2: drivers (layer 3) uses shell (layer 7)", p[0])

    def test_a_relative_include_leaving_its_folder_is_reported(self):
        self.write("fs/holdfs/holdfs.h")
        self.write("shell/cmd.c", f'#include "{UP}fs/holdfs/holdfs.h"\n')
        p = self.problems()
        self.assertEqual(len(p), 1, p)
        self.assertIn("a relative include leaves shell/", p[0])

    def test_tests_may_reach_private_headers(self):
        self.write("drivers/pci/pci_internal.h")
        self.write("tests/kernel/test_pci.c", f'#include "{UP}{UP}drivers/pci/pci_internal.h"\n')
        self.assertEqual(self.problems(), [])

    def test_a_circle_in_one_layer_is_reported(self):
        self.write("include/shell/shell.h")
        self.write("include/bench/bench.h")
        self.write("shell/cmd.c", "#include <bench/bench.h>\n")
        self.write("bench/bench.c", "#include <shell/shell.h>\n")
        p = self.problems()
        self.assertEqual(len(p), 1, p)
        self.assertTrue(p[0].startswith("circle between bench, shell:"), p)

    def test_arch_and_kernel_may_use_each_other(self):
        self.write("include/arch/x86_64/cpu.h")
        self.write("include/kernel/sync.h", "#include <arch/x86_64/cpu.h>\n")
        self.write("arch/x86_64/trap.c", "#include <kernel/sync.h>\n")
        self.assertEqual(self.problems(), [])

    def test_an_unclaimed_file_is_reported(self):
        self.write("fs/net.c")
        p = self.problems()
        self.assertEqual(len(p), 1, p)
        self.assertIn("fs/net.c: no layer claims this file", p[0])

    def test_an_exception_excuses_only_its_file(self):
        self.write("include/fs/holdfs.h")
        self.write("fs/dax.c", "#include <fs/holdfs.h>\n")
        self.write("drivers/x.c", "#include <fs/holdfs.h>\n")
        p = self.problems(exceptions={("fs/dax.c", "holdfs"): "why"})
        self.assertEqual(len(p), 1, p)
        self.assertIn("drivers/x.c:1: drivers (layer 3) uses holdfs (layer 5)", p[0])

    def compile(self, objdir, src, text):
        self.write(src, text)
        obj = os.path.join(objdir, os.path.splitext(src)[0] + ".o")
        os.makedirs(os.path.dirname(obj), exist_ok=True)
        subprocess.run(["cc", "-c", "-o", obj, os.path.join(self.root, src)], check=True)

    @unittest.skipUnless(have_cc(), "needs cc and nm")
    def test_a_call_going_up_by_a_hand_typed_prototype_is_reported(self):
        objdir = os.path.join(self.root, "build", "k")
        # kernel/panic.c as it was: the test runner called by name, with
        # no include that would show it.
        self.compile(objdir, "kernel/panic.c",
                     "int kernel_test_mode(void);\nint panic(void) { return kernel_test_mode(); }\n")
        self.compile(objdir, "tests/kernel/ktest_kernel.c", "int kernel_test_mode(void) { return 1; }\n")
        self.assertEqual(self.problems(), [], "the includes show nothing")
        p = self.problems(objdir)
        self.assertEqual(len(p), 1, p)
        self.assertIn("kernel (layer 2) uses ktest (layer 7), which sits above it: "
                      "kernel_test_mode() in tests/kernel/ktest_kernel.c", p[0])

    @unittest.skipUnless(have_cc(), "needs cc and nm")
    def test_a_weak_link_between_units_is_reported(self):
        objdir = os.path.join(self.root, "build", "k")
        self.compile(objdir, "shell/cmd_dma.c",
                     "int cmd_dma_cp(void) __attribute__((weak));\n"
                     "int cmd_dma(void) { return cmd_dma_cp ? cmd_dma_cp() : -1; }\n")
        self.compile(objdir, "fs/dmafile.c", "int cmd_dma_cp(void) { return 0; }\n")
        p = self.problems(objdir)
        self.assertTrue(any("a weak reference to cmd_dma_cp (fs/dmafile.c)" in x for x in p), p)

    @unittest.skipUnless(have_cc(), "needs cc and nm")
    def test_a_stale_exception_is_reported(self):
        objdir = os.path.join(self.root, "build", "k")
        self.compile(objdir, "fs/dax.c", "int dax(void) { return 0; }\n")
        p = self.problems(objdir, exceptions={("fs/dax.c", "holdfs"): "why"})
        self.assertEqual(len(p), 1, p)
        self.assertIn("fs/dax.c no longer uses holdfs: remove its exception", p[0])


if __name__ == "__main__":
    unittest.main()
