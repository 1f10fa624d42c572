"""Main-thread time of the effect's own Python per first push, per click and per result, on a big volume,
with the real numpy paths and fakes only for Slicer's calls (slicer_fakes, effect_fakes; the fake
connector keeps no copy of what it "sends", so Slicer's own serialisation is not counted).

    cd slicer-extension && /usr/bin/python3 -m tests.main_thread_cost [--shape 300,512,512] [--repeats 5]

Also measures, on the same arrays in the same run, what the previous implementation did on the main
thread (the peer): it hashed the whole volume at the first push and, because the push itself set a node
attribute (a new node MTime), again at the next click; each result went through merge_masks plus the
numpy part of slicer.util.updateSegmentBinaryLabelmapFromArray (min, max, copy into a new labelmap).
"""
import argparse
import json
import statistics
import threading
import time

import numpy as np

from . import effect_fakes, slicer_fakes
from .slicer_fakes import FakeVolumeNode, tick

SPACING = np.diag([0.8, 0.8, 1.5, 1.0])


class Scenario:
    """One connected effect with a (K, J, I) int16 volume and an empty segment."""

    def __init__(self, shape, mergeMode="replace"):
        holder = {}
        self.scene = slicer_fakes.install(
            lambda s, v, q: holder.update(nodes=effect_fakes.install_effect_fakes(s, v, q)))
        import SlicerBridge
        from SegmentEditorSlicerBridgeLib import prompt_controller
        from SlicerBridgeLib.settings import ConnectionSettings
        self.module = SlicerBridge
        self.logic = SlicerBridge.getSharedLogic()
        self.logic.connect(ConnectionSettings("127.0.0.1", 18944, 30.0))
        self.connector = self.logic.connectorNode()
        self.connector.keepContent = False
        tick(self.connector)
        status = [c for c in self.connector.commands if c.name == "GetStatus"][-1]
        self.connector.answer(status, {"Status": "SUCCESS"}, json.dumps({"features": ["prior"]}))
        tick(self.connector)
        self.shape = shape
        rng = np.random.default_rng(0)
        voxels = rng.integers(-1000, 1000, size=shape, dtype=np.int16)
        self.volume = self.scene.AddNode(FakeVolumeNode("CT", voxels, SPACING))
        self.segmentation = self.scene.AddNode(effect_fakes.FakeSegmentationNode(
            "Seg", {"S1": np.zeros(shape, np.uint8)}))
        editorNode = effect_fakes.FakeSegmentEditorNode(self.segmentation, self.volume, "S1")
        self.effect = effect_fakes.FakeScriptedEffect(editorNode)
        self.effect.sourceImage = effect_fakes.oriented(voxels, SPACING)
        self.effect.applyModifications = False
        self.controller = prompt_controller.PromptController(self.effect, effect_fakes.FakeView())
        for name, value in ((prompt_controller.PARAM_MERGE_MODE, mergeMode),
                            (prompt_controller.PARAM_AUTO_UPDATE, 0), (prompt_controller.PARAM_REFINE, 0)):
            self.effect.setParameterDefault(name, value)
        self.controller.activate()
        self.positive = self.controller.promptNodes()[0]
        self.mainThreadHashes = 0
        real = SlicerBridge.volume_digest

        def countingDigest(array, matrix):
            if threading.current_thread() is threading.main_thread():
                self.mainThreadHashes += 1
            return real(array, matrix)
        SlicerBridge.volume_digest = countingDigest
        self.logic.digests._digest_fn = countingDigest

    def close(self):
        self.logic.digests.wait(60)
        slicer_fakes.uninstall()

    def click(self, ijk):
        """Places a point (Auto-update off) and returns the seconds sendPrompts took (what the
        update timer runs on the main thread)."""
        ras = SPACING[:3, :3] @ np.asarray(ijk, float)
        self.positive.click(tuple(ras))
        started = time.perf_counter()
        self.controller.sendPrompts()
        return time.perf_counter() - started

    def result(self, mask):
        """The server's labelmap arrives; returns the seconds importResult took."""
        resultNode = self.logic.resultNode("CT")
        resultNode.matrix = SPACING.copy()
        resultNode.imageData = slicer_fakes.FakeImageData(mask, slicer_fakes.VTK_UNSIGNED_CHAR)
        started = time.perf_counter()
        self.controller.importResult()
        return time.perf_counter() - started


def peer_costs(voxels, mask):
    """The previous implementation's main-thread numpy work on the same arrays."""
    from SlicerBridgeLib import merge
    from SlicerBridgeLib.volume_sync import volume_digest
    started = time.perf_counter()
    volume_digest(voxels, SPACING)
    hashed = time.perf_counter() - started
    started = time.perf_counter()
    merged = merge.merge_masks(np.zeros_like(mask), mask, merge.REPLACE)
    if merged.min() >= 0 and merged.max() <= 1:
        np.array(merged)  # updateVolumeFromArray's copy into the temporary labelmap
    imported = time.perf_counter() - started
    return {"first_push_s": hashed, "click_after_push_s": hashed, "result_s": imported}


def measure(shape, repeats):
    runs = {"first_push_s": [], "click_s": [], "result_replace_s": [], "first_result_add_s": [], "result_add_s": [],
            "background_digest_s": [], "main_thread_hashes": [], "result_shares_voxels": []}
    peers = []
    mask = np.zeros(shape, np.uint8)
    k, j, i = shape
    mask[k // 4:3 * k // 4, j // 4:3 * j // 4, i // 4:3 * i // 4] = 1
    for _ in range(repeats):
        for mode in ("replace", "add"):
            scenario = Scenario(shape, mode)
            try:
                if mode == "replace":
                    runs["first_push_s"].append(scenario.click((i // 2, j // 2, k // 2)))
                    started = time.perf_counter()
                    scenario.logic.digests.wait(60)
                    runs["background_digest_s"].append(time.perf_counter() - started)
                    scenario.logic.poll()
                    runs["click_s"].append(scenario.click((i // 2 + 3, j // 2, k // 2)))
                    runs["result_replace_s"].append(scenario.result(mask))
                    labelmap = scenario.effect.modifications[-1][2]
                    runs["result_shares_voxels"].append(labelmap.array is mask)
                    runs["main_thread_hashes"].append(scenario.mainThreadHashes)
                    peers.append(peer_costs(scenario.volume.imageData.array, mask))
                else:
                    scenario.click((i // 2, j // 2, k // 2))
                    runs["first_result_add_s"].append(scenario.result(mask))  # allocates the merge buffer
                    scenario.click((i // 2 + 3, j // 2, k // 2))
                    runs["result_add_s"].append(scenario.result(mask))
            finally:
                scenario.close()
    summary = {key: (statistics.median(values) if key.endswith("_s") else values) for key, values in runs.items()}
    summary["peer"] = {key: statistics.median(p[key] for p in peers) for key in peers[0]}
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="300,512,512", help="K,J,I voxels (int16)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    shape = tuple(int(v) for v in args.shape.split(","))
    summary = measure(shape, args.repeats)
    print(json.dumps({"shape_kji": shape, "repeats": args.repeats, **summary}, indent=2))


if __name__ == "__main__":
    main()
