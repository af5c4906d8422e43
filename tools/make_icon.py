#!/usr/bin/env python3
"""Writes docs/images/icon.png, the 128x128 NuGet package icon: three gate bars and a recurrent arc on teal.
Pure standard library (zlib + struct), so it runs anywhere; the PNG is committed."""
import math, struct, zlib, sys

N = 128
BG = (14, 116, 128)
FG = (255, 255, 255)
ACC = (255, 196, 64)

def coverage(x, y):
    """Returns (r, g, b, a) of the icon at pixel centre (x, y) in [0, N)."""
    # Rounded square background, radius 22.
    r = 22
    cx = min(max(x, r), N - r)
    cy = min(max(y, r), N - r)
    if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
        return (0, 0, 0, 0)
    # Three gate bars (r, z, n) of different heights.
    for i, h in enumerate((46, 64, 34)):
        x0 = 30 + i * 26
        if x0 <= x < x0 + 16 and 100 - h <= y < 100:
            return FG + (255,)
    # Recurrent arc from the last bar back over the top to the first.
    d = math.hypot(x - 64, y - 52)
    if 40 <= d <= 46 and y < 40:
        return ACC + (255,)
    return BG + (255,)

def pixel(x, y):
    # 4x4 supersampling for smooth edges.
    acc = [0, 0, 0, 0]
    for sy in range(4):
        for sx in range(4):
            c = coverage(x + (sx + 0.5) / 4, y + (sy + 0.5) / 4)
            a = c[3]
            acc[0] += c[0] * a; acc[1] += c[1] * a; acc[2] += c[2] * a; acc[3] += a
    if acc[3] == 0:
        return (0, 0, 0, 0)
    return (round(acc[0] / acc[3]), round(acc[1] / acc[3]), round(acc[2] / acc[3]), round(acc[3] / 16))

rows = b"".join(b"\x00" + bytes(v for x in range(N) for v in pixel(x, y)) for y in range(N))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", N, N, 8, 6, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
open(sys.argv[1] if len(sys.argv) > 1 else "docs/images/icon.png", "wb").write(png)
