"""Hostile and awkward images for the evidence tests, built in memory."""

import io
import struct
import zlib

from PIL import Image, PngImagePlugin

# What a merchant hides in the image: it would change the title, set a global and
# call home if a browser ever ran it as a page of our origin.
SCRIPT = (b"<html><body><script>document.title='pwned';window.pwned=1;"
          b"fetch('/pwned-by-evidence');</script></body></html>")


def png_with_script(size=(16, 16)) -> bytes:
    """A real PNG that Pillow opens and verifies, with a script in a text chunk."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SCRIPT.decode())
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def png_of(size, mode="RGB", color=0) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_header_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes whose header claims ``width`` x ``height`` (a
    decompression bomb as far as any decoder is concerned); the pixel data is a
    token, so nothing here ever allocates the claimed size."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b""))


def jpeg_with_exif(size=(40, 20), orientation=6) -> bytes:
    """A camera-like JPEG: maker, model, GPS position and an orientation tag
    (6: the pixels must be turned 90 degrees clockwise to stand upright)."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"      # Make
    exif[0x0110] = "Model-GPS-9000"  # Model
    exif[0x0112] = orientation      # Orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (31.0, 14.0, 0.0)
    gps[3] = "E"
    gps[4] = (121.0, 28.0, 0.0)
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="JPEG", exif=exif, quality=90)
    return buffer.getvalue()
