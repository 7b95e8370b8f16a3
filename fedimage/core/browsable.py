"""DRF's browsable API under fedimage's Content Security Policy."""

from __future__ import annotations

import base64
import hashlib
import re

from rest_framework import renderers


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API under fedimage's CSP: its own inline styles allowed by hash only.

    DRF's templates carry a few style="" attributes and a <style> of code-highlighting rules;
    each one on the page is allowed by its hash. Data on the page is escaped, so it cannot add
    one; scripts stay 'self'.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        html = super().render(data, accepted_media_type, renderer_context)
        response = (renderer_context or {}).get("response")
        if response is not None:
            text = html.decode() if isinstance(html, bytes) else html
            styles = re.findall(r'<[a-z]+ [^<>]*\bstyle="([^"<>]*)"', text)
            styles += re.findall(r"<style>([^<]*)</style>", text)
            hashes = sorted({_csp_hash(style) for style in styles})
            response._csp_update = {"style-src": ["'unsafe-hashes'", *hashes]}
        return html
