"""What a report page costs to download: its HTML as served, plus every script and
stylesheet it links, compressed as WhiteNoise serves them (brotli, precompressed at
``collectstatic``). Measured in-process: no network, no browser cache."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import brotli
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

ASSET = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*rel="stylesheet"[^>]*\shref)="([^"]+)"')


@dataclass(frozen=True)
class PageWeight:
    name: str
    html_bytes: int
    assets: dict[str, int]  # static path -> brotli bytes

    @property
    def total_bytes(self) -> int:
        return self.html_bytes + sum(self.assets.values())


def asset_bytes(url: str) -> int:
    """The brotli size of a static file, as WhiteNoise would send it."""
    path = url.removeprefix(settings.STATIC_URL).split("?")[0]
    found = finders.find(path)
    if not found:
        raise RuntimeError(f"{url} is linked but is not a static file")
    return _brotli_bytes(found)


@functools.cache  # plotly.js takes seconds to compress, and every report page links it
def _brotli_bytes(path: str) -> int:
    with open(path, "rb") as file:
        return len(brotli.compress(file.read()))


def page_weight(client: Client, name: str, url: str) -> PageWeight:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    html = response.content
    links = sorted(set(ASSET.findall(html.decode())))
    return PageWeight(
        name=name,
        html_bytes=len(html),
        assets={link.removeprefix(settings.STATIC_URL): asset_bytes(link) for link in links},
    )
