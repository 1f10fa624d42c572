"""Point 5 of issue 11 on the real size: a 512x512x300 int16 volume through the effect's real numpy paths
(fakes only for Slicer's calls). Asserts what must hold whatever the machine (no hashing on the main
thread, a Replace result shares the server's voxels) and prints the main-thread times; the figures are
recorded in docs/benchmarks.md with `python3 -m tests.main_thread_cost`, never asserted."""
import unittest

from . import main_thread_cost


class MainThreadCostTests(unittest.TestCase):
    def test_first_push_click_and_result_on_a_512x512x300_volume(self):
        summary = main_thread_cost.measure((300, 512, 512), repeats=1)
        self.assertEqual(summary["main_thread_hashes"], [0])
        self.assertEqual(summary["result_shares_voxels"], [True])
        print(f"\n  main thread, 512x512x300 int16: first push {summary['first_push_s'] * 1e3:.1f} ms, "
              f"click {summary['click_s'] * 1e3:.1f} ms, result (replace) {summary['result_replace_s'] * 1e3:.1f} ms, "
              f"result (add) {summary['first_result_add_s'] * 1e3:.1f} ms first, then "
              f"{summary['result_add_s'] * 1e3:.1f} ms; background digest "
              f"{summary['background_digest_s'] * 1e3:.0f} ms; previous code: first push "
              f"{summary['peer']['first_push_s'] * 1e3:.0f} ms, result {summary['peer']['result_s'] * 1e3:.0f} ms")


if __name__ == "__main__":
    unittest.main()
