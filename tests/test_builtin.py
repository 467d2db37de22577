"""The built-in robot renderer: deterministic, and distinct per agent, seed, emotion and palette."""

from __future__ import annotations

import ast
import colorsys
import hashlib
import importlib.util
import io
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from avatar_core.foundation.errors import InvalidInput
from avatar_core.foundation.models import Emotion
from avatar_core.providers.base import ImageProvider, ImageRequest
from avatar_core.providers.builtin import BuiltinProvider, design
from avatar_core.providers.builtin.design import ACCESSORIES
from avatar_core.providers.builtin.materials import MATERIALS

ROOT = Path(__file__).resolve().parent.parent
FACE = (262, 200, 762, 700)  # the head and face; background and shoulders excluded


def request(name: str = "atlas", *, seed: int = 7, emotion: Emotion | None = None,
            prompt: str = "friendly robot", style_image: bytes | None = None) -> ImageRequest:
    return ImageRequest(kind="emotion" if emotion else "identity", agent_name=name,
                        identity_prompt=prompt, prompt=prompt, seed=seed, emotion=emotion,
                        style_image=style_image)


def render(req: ImageRequest) -> bytes:
    return BuiltinProvider().generate(req).data


def decode(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def difference(a: bytes, b: bytes, box: tuple[int, int, int, int] = FACE) -> float:
    """Mean absolute per-channel difference (0-255) inside ``box``."""
    diff = ImageChops.difference(decode(a).crop(box), decode(b).crop(box))
    return sum(ImageStat.Stat(diff).mean) / 3


def solid_png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def dominant_hue(data: bytes) -> float:
    """Hue (degrees) of the commonest 20° bucket among clearly coloured, non-backdrop pixels."""
    image = decode(data).crop(FACE).reduce(4)
    buckets: Counter[int] = Counter()
    raw = image.tobytes()
    for r, g, b in zip(raw[0::3], raw[1::3], raw[2::3], strict=True):
        h, light, s = colorsys.rgb_to_hls(r / 255, g / 255, b / 255)
        if s > 0.45 and 0.2 < light < 0.85:
            buckets[int(h * 360) // 20] += 1
    return buckets.most_common(1)[0][0] * 20 + 10


def test_conforms_to_the_provider_protocol() -> None:
    provider = BuiltinProvider()
    assert isinstance(provider, ImageProvider)
    assert provider.name == "builtin"
    assert provider.model


def test_output_is_a_1024_png() -> None:
    result = BuiltinProvider().generate(request())
    assert result.mime_type == "image/png"
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.format == "PNG"
        assert image.size == (1024, 1024)


def test_same_request_gives_identical_bytes() -> None:
    assert render(request(emotion=Emotion.CURIOUS)) == render(request(emotion=Emotion.CURIOUS))


@pytest.mark.slow
def test_identical_bytes_across_processes_and_hash_seeds() -> None:
    code = (
        "import hashlib; from avatar_core.foundation.models import Emotion;"
        "from avatar_core.providers.base import ImageRequest;"
        "from avatar_core.providers.builtin import BuiltinProvider;"
        "r = ImageRequest(kind='emotion', agent_name='atlas', identity_prompt='friendly robot',"
        " prompt='friendly robot', seed=7, emotion=Emotion.CURIOUS);"
        "print(hashlib.sha256(BuiltinProvider().generate(r).data).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True, timeout=120)
    local = hashlib.sha256(render(request(emotion=Emotion.CURIOUS))).hexdigest()
    assert out.stdout.strip() == local


def test_different_names_give_different_robots() -> None:
    names = ["atlas", "nova-research", "pixel-studio", "ledger-bot", "scout", "sage"]
    images = {name: render(request(name)) for name in names}
    assert len(set(images.values())) == len(names)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert difference(images[a], images[b]) > 8, (a, b)


def test_a_new_seed_gives_a_variation_of_the_same_robot() -> None:
    first, second = render(request(seed=1)), render(request(seed=2))
    assert first != second
    assert design(request(seed=1)).head == design(request(seed=2)).head
    assert design(request(seed=1)).palette == design(request(seed=2)).palette


def test_eight_emotions_are_eight_distinct_faces() -> None:
    faces = {emotion: render(request("ledger-bot", emotion=emotion)) for emotion in Emotion}
    faces_list = [*faces.values(), render(request("ledger-bot"))]
    assert len(set(faces_list)) == 9
    emotions = list(faces)
    for i, a in enumerate(emotions):
        for b in emotions[i + 1:]:
            assert difference(faces[a], faces[b]) > 3.0, (a, b)


def test_emotions_keep_the_same_robot() -> None:
    neutral = render(request("ledger-bot"))
    happy = render(request("ledger-bot", emotion=Emotion.HAPPY))
    other = render(request("pixel-studio", emotion=Emotion.HAPPY))
    assert difference(neutral, happy) < difference(neutral, other)


@pytest.mark.parametrize(("colour", "hues"), [((220, 30, 30), (0, 20, 340, 360)),
                                              ((30, 180, 60), (100, 160, 100, 160))])
def test_style_image_colours_drive_the_palette(colour: tuple[int, int, int],
                                               hues: tuple[int, int, int, int]) -> None:
    hue = dominant_hue(render(request("atlas", style_image=solid_png(colour))))
    assert hues[0] <= hue <= hues[1] or hues[2] <= hue <= hues[3], hue


def test_colour_words_in_the_prompt_bias_the_palette() -> None:
    palette = design(request("night-ops", prompt="matte black with glowing teal circuit traces"))
    body = palette.palette.body
    glow = palette.palette.glow
    assert max(body) < 90  # black stays dark
    assert 150 <= colorsys.rgb_to_hls(*(v / 255 for v in glow))[0] * 360 <= 200  # teal
    assert palette.pattern == "circuit"


def test_unreadable_style_image_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        render(request(style_image=b"not an image"))


def test_the_prompts_contact_sheet_covers_every_material_and_accessory() -> None:
    spec = importlib.util.spec_from_file_location("contact_sheet",
                                                  ROOT / "scripts" / "contact_sheet.py")
    assert spec and spec.loader
    sheet = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sheet)
    robots = [design(request(name, prompt=prompt)) for name, prompt in sheet.PROMPTS]
    assert {r.material for r in robots} >= set(MATERIALS)
    assert set().union(*(r.accessories for r in robots)) >= set(ACCESSORIES)
    assert 16 <= len(sheet.PROMPTS) <= 24


def test_the_renderer_stays_in_small_modules_and_functions() -> None:
    """The package is split by part so that each piece can be read at once (~400 / ~60 lines)."""
    package = ROOT / "avatar_core" / "providers" / "builtin"
    for path in sorted(package.glob("*.py")):
        source = path.read_text()
        assert len(source.splitlines()) <= 400, path.name
        tree = ast.parse(source)
        assert any(isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            for node in tree.body), f"{path.name} has no __all__"
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                assert length <= 60, f"{path.name}:{node.name} is {length} lines"
