import ast
import os
import unittest

LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "SlicerBridge", "SlicerBridgeLib")
FORBIDDEN = {"slicer", "vtk", "qt", "ctk", "vtkmodules"}


class SlicerFreeTests(unittest.TestCase):
    def test_no_slicer_vtk_or_qt_imports(self):
        files = [f for f in os.listdir(LIB) if f.endswith(".py")]
        self.assertGreater(len(files), 5)
        for name in files:
            with open(os.path.join(LIB, name), encoding="utf-8") as f:
                tree = ast.parse(f.read(), name)
            for node in ast.walk(tree):
                modules = []
                if isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    modules = [node.module or ""]
                for module in modules:
                    self.assertNotIn(module.split(".")[0], FORBIDDEN, f"{name} imports {module}")


if __name__ == "__main__":
    unittest.main()
