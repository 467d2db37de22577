"""Image providers behind one protocol: Gemini (google-genai) and the offline built-in renderer."""

from .base import GeneratedImage, ImageProvider, ImageRequest, RequestKind

__all__ = ["GeneratedImage", "ImageProvider", "ImageRequest", "RequestKind"]
