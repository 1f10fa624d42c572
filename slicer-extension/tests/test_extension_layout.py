"""The extension's build metadata stays consistent with the files in the folder."""
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import unittest
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPOSITORY = os.path.dirname(ROOT)
CMAKE_STUB = os.path.join(ROOT, "tests", "cmake_stub")


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def png_size(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise AssertionError(f"{path} is not a PNG")
    (length,) = struct.unpack(">I", data[8:12])
    if zlib.crc32(data[12:16 + length]) & 0xFFFFFFFF != struct.unpack(">I", data[16 + length:20 + length])[0]:
        raise AssertionError(f"{path}: IHDR CRC mismatch")
    return struct.unpack(">II", data[16:24])


class ExtensionLayoutTests(unittest.TestCase):
    def test_top_level_cmake_has_the_extension_metadata(self):
        text = read("CMakeLists.txt")
        for key in ("EXTENSION_HOMEPAGE", "EXTENSION_CONTRIBUTORS", "EXTENSION_DESCRIPTION", "EXTENSION_ICONURL",
                    "EXTENSION_SCREENSHOTURLS"):
            self.assertRegex(text, rf'set\({key} "[^"]+"\)')
        self.assertIn('set(EXTENSION_CATEGORY "Segmentation")', text)
        self.assertIn('set(EXTENSION_DEPENDS "SlicerOpenIGTLink")', text)
        for line in ("find_package(Slicer REQUIRED)", "add_subdirectory(SlicerBridge)",
                     "add_subdirectory(SegmentEditorSlicerBridge)", "## NEXT_MODULE", "${Slicer_EXTENSION_CPACK}"):
            self.assertIn(line, text)

    def test_icon_and_screenshot_urls_point_to_files_here(self):
        text = read("CMakeLists.txt")
        raw = re.search(r'set\(SLICERBRIDGE_RAW_URL "([^"]+)"\)', text).group(1)
        for key in ("EXTENSION_ICONURL", "EXTENSION_SCREENSHOTURLS"):
            url = re.search(rf'set\({key} "([^"]+)"\)', text).group(1).replace("${SLICERBRIDGE_RAW_URL}", raw)
            relative = url.split("/slicer-extension/", 1)[1]
            self.assertTrue(os.path.isfile(os.path.join(ROOT, relative)), url)
        s4ext = read("SlicerBridge.s4ext")
        for key in ("iconurl", "screenshoturls"):
            url = re.search(rf"^{key} (\S+)$", s4ext, re.M).group(1)
            self.assertTrue(os.path.isfile(os.path.join(ROOT, url.split("/slicer-extension/", 1)[1])), url)
        self.assertRegex(s4ext, r"(?m)^depends SlicerOpenIGTLink$")
        self.assertRegex(s4ext, r"(?m)^category Segmentation$")

    def test_catalog_entry_has_the_schema_fields_and_agrees_with_cmake_and_s4ext(self):
        entry = json.loads(read("SlicerBridge.json"))
        self.assertEqual(entry["$schema"], "https://raw.githubusercontent.com/Slicer/Slicer/main/Schemas/"
                                           "slicer-extension-catalog-entry-schema-v1.0.1.json#")
        # the schema allows no other properties
        self.assertLessEqual(set(entry), {"$schema", "category", "scm_url", "scm_revision", "scm_type",
                                          "build_dependencies", "build_subdirectory", "tier"})
        cmake = read("CMakeLists.txt")
        self.assertIn(f'set(EXTENSION_CATEGORY "{entry["category"]}")', cmake)
        self.assertIn(f'set(EXTENSION_DEPENDS "{" ".join(entry["build_dependencies"])}")', cmake)
        self.assertIn(entry["tier"], (1, 3, 5))
        s4ext = read("SlicerBridge.s4ext")
        for json_key, s4ext_key in (("scm_url", "scmurl"), ("scm_revision", "scmrevision"), ("scm_type", "scm"),
                                    ("build_subdirectory", "build_subdirectory"), ("category", "category")):
            self.assertRegex(s4ext, rf"(?m)^{s4ext_key} {re.escape(str(entry[json_key]))}$", json_key)
        self.assertRegex(s4ext, rf"(?m)^depends {' '.join(entry['build_dependencies'])}$")

    def test_the_repository_root_builds_the_extension(self):
        """The Extensions Index configures the root of scm_url (no subfolder field in the catalog)."""
        entry = json.loads(read("SlicerBridge.json"))
        self.assertNotIn("/slicer-extension", entry["scm_url"])
        with open(os.path.join(REPOSITORY, "CMakeLists.txt"), encoding="utf-8") as f:
            root = f.read()
        self.assertRegex(root, r"(?m)^cmake_minimum_required\(")
        self.assertRegex(root, r"(?m)^add_subdirectory\(slicer-extension\)$")

    @unittest.skipUnless(shutil.which("cmake"), "cmake is not installed (scripts/test.sh installs it)")
    def test_cmake_configures_the_root_with_every_listed_file_present(self):
        with tempfile.TemporaryDirectory() as build:
            run = subprocess.run(["cmake", "-S", REPOSITORY, "-B", build, f"-DSlicer_DIR={CMAKE_STUB}"],
                                 capture_output=True, text=True, timeout=120)
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
            with open(os.path.join(build, "layout.txt"), encoding="utf-8") as f:
                layout = f.read().splitlines()
        self.assertIn(f"extension SlicerBridge {ROOT}", layout)
        modules = sorted(line.split()[1] for line in layout if line.startswith("module "))
        self.assertEqual(modules, ["SegmentEditorSlicerBridge", "SlicerBridge"])
        self.assertIn("package SlicerBridge depends SlicerOpenIGTLink", layout)
        self.assertTrue(any(line.startswith("unittest ") and line.endswith("SlicerBridge.py") for line in layout))

    def test_icons_are_valid_pngs(self):
        self.assertEqual(png_size(os.path.join(ROOT, "SlicerBridge.png")), (128, 128))
        self.assertEqual(png_size(os.path.join(ROOT, "SlicerBridge", "Resources", "Icons", "SlicerBridge.png")), (128, 128))
        self.assertEqual(png_size(os.path.join(ROOT, "SegmentEditorSlicerBridge", "SegmentEditorSlicerBridgeLib",
                                               "SegmentEditorEffect.png")), (21, 21))

    def test_module_cmake_lists_every_python_file_and_resource(self):
        for module in ("SlicerBridge", "SegmentEditorSlicerBridge"):
            text = read(module, "CMakeLists.txt").replace("${MODULE_NAME}", module)
            listed = set(re.findall(r"^\s+([\w/]+\.(?:py|png|ui))\s*$", text, re.M))
            on_disk = set()
            for folder, _, files in os.walk(os.path.join(ROOT, module)):
                for name in files:
                    relative = os.path.relpath(os.path.join(folder, name), os.path.join(ROOT, module))
                    if name.endswith((".py", ".png", ".ui")) and not relative.startswith("Testing"):
                        on_disk.add(relative.replace(os.sep, "/"))
            self.assertEqual(listed, on_disk, module)
            self.assertIn("WITH_GENERIC_TESTS", text)

    def test_registration_module_is_hidden_and_loads_the_lib_effect(self):
        text = read("SegmentEditorSlicerBridge", "SegmentEditorSlicerBridge.py")
        self.assertIn("self.parent.hidden = True", text)
        self.assertIn('slicer.app.connect("startupCompleted()", self.registerEditorEffect)', text)
        self.assertIn('"Lib/SegmentEditorEffect.py"', text)


if __name__ == "__main__":
    unittest.main()
