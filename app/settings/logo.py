"""The office logo: a PNG or JPEG whose size and pixel count are checked before a pixel is
decoded, then re-encoded by Pillow as a PNG of bounded size (whatever else the file held —
metadata, a second image, a script — is not kept). Never SVG: it can carry scripts and
links, and PDFs and mail clients draw it unreliably."""
from __future__ import annotations

import base64
import warnings
from io import BytesIO

from PIL import Image, UnidentifiedImageError

MAX_BYTES = 1024 * 1024  # the uploaded file
MAX_PIXELS = 16_000_000  # width × height of the uploaded image (e.g. 4000 × 4000)
MAX_SIDE = 800  # the stored logo's longest side; a PDF prints it 60 mm wide at most
_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


def read_logo(data: bytes) -> str:
    """The stored form of an uploaded logo (base64 PNG); ValueError in words if refused."""
    if len(data) > MAX_BYTES:
        raise ValueError(f"Logo: the file is {len(data) / 1024 / 1024:.1f} MB; "
                         f"at most {MAX_BYTES // 1024 // 1024} MB")
    kind = next((k for sig, k in _SIGNATURES.items() if data.startswith(sig)), None)
    if kind is None:
        raise ValueError("Logo: a PNG or JPEG file please (SVG and other formats are "
                         "not accepted)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data), formats=[kind])  # reads the header only
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValueError(f"Logo: {width:,} × {height:,} pixels is too large; at "
                                 f"most {MAX_PIXELS // 1_000_000} million pixels")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own cap (MAX_IMAGE_PIXELS), also read from the header, refused it first.
        raise ValueError(f"Logo: the image is too large; at most "
                         f"{MAX_PIXELS // 1_000_000} million pixels") from None
    except ValueError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValueError("Logo: the file could not be read as an image") from None
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = BytesIO()
    image.save(out, "PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii")
