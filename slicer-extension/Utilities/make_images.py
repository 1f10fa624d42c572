"""Regenerates the extension's PNG icons and screenshot placeholder drawing with numpy + zlib only.

    cd slicer-extension && /usr/bin/python3 Utilities/make_images.py
"""
import os
import struct
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_png(path, rgba):
    """Writes an (H, W, 4) uint8 array as an 8-bit RGBA PNG."""
    height, width, _ = rgba.shape
    raw = b"".join(b"\x00" + rgba[y].tobytes() for y in range(height))  # filter type 0 per row

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(png)


def icon(size):
    """A grey 'scan' disc with a green segmented blob and a click marker: the extension's idea."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / (size - 1) * 2 - 1
    img = np.zeros((size, size, 4), dtype=np.uint8)
    disc = x ** 2 + y ** 2 <= 0.95 ** 2
    shade = (90 + 60 * (1 - np.sqrt(x ** 2 + y ** 2))).clip(0, 255).astype(np.uint8)
    img[disc] = np.stack([shade, shade, shade, np.full_like(shade, 255)], axis=-1)[disc]
    blob = ((x + 0.1) / 0.55) ** 2 + ((y - 0.05) / 0.4) ** 2 <= 1
    img[blob & disc] = [60, 200, 90, 255]
    click = (x - 0.1) ** 2 + (y - 0.05) ** 2 <= 0.12 ** 2
    img[click] = [230, 40, 40, 255]
    link = (np.abs(y + 0.75) < 0.06) & (np.abs(x) < 0.5)
    img[link] = [40, 120, 230, 255]
    return img


def screenshot(width, height):
    """A schematic of the effect panel next to a slice view with a result overlay."""
    img = np.full((height, width, 4), 255, dtype=np.uint8)
    img[:, : width // 3] = [225, 228, 232, 255]
    for row in range(5):
        top = 30 + row * 50
        img[top:top + 28, 20: width // 3 - 20] = [250, 250, 250, 255]
    yy, xx = np.mgrid[0:height, width // 3:width]
    cx, cy = (width // 3 + width) / 2, height / 2
    head = ((xx - cx) / (width / 3.2)) ** 2 + ((yy - cy) / (height / 2.4)) ** 2 <= 1
    view = img[:, width // 3:]
    view[:] = [20, 20, 20, 255]
    view[head] = [120, 120, 120, 255]
    seg = ((xx - cx - 30) / 60) ** 2 + ((yy - cy + 10) / 45) ** 2 <= 1
    view[seg] = [60, 200, 90, 255]
    dot = (xx - cx - 30) ** 2 + (yy - cy + 10) ** 2 <= 36
    view[dot] = [230, 40, 40, 255]
    return img


if __name__ == "__main__":
    write_png(os.path.join(ROOT, "SlicerBridge.png"), icon(128))
    write_png(os.path.join(ROOT, "SlicerBridge", "Resources", "Icons", "SlicerBridge.png"), icon(128))
    write_png(os.path.join(ROOT, "SegmentEditorSlicerBridge", "SegmentEditorSlicerBridgeLib",
                           "SegmentEditorEffect.png"), icon(21))
    write_png(os.path.join(ROOT, "SegmentEditorSlicerBridge", "Resources", "Icons",
                           "SegmentEditorSlicerBridge.png"), icon(128))
    write_png(os.path.join(ROOT, "Screenshots", "SegmentEditorEffect.png"), screenshot(720, 400))
