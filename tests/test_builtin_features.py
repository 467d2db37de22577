"""The built-in renderer follows the words: every material, accessory and colour word it knows
is read from the prompt AND visibly changes the pixels where it belongs.

How "visibly" is measured: the mean absolute difference (0-255, averaged over the channels)
between the render with the word and the same prompt without it, over the region where the
feature sits. The threshold, ``VISIBLE``, is 6: about two thirds of the weakest honest change
measured (the thin frames of spectacles over the eye band, 8-11 across robots), while a word
the renderer does not know changes no byte at all (``test_unknown_words_change_nothing``), so
a feature that silently stopped drawing, or shrank to a hairline, fails.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from avatar_core.foundation.models import Emotion
from avatar_core.providers.base import ImageRequest
from avatar_core.providers.builtin import Robot, design, render_robot
from avatar_core.providers.builtin.face import face_layout
from avatar_core.providers.builtin.head import head_frame

ROOT = Path(__file__).resolve().parent.parent
VISIBLE = 6.0
SEED = 7  # a seed whose own details add no pattern, so the prompt's words are all that differ
NAMES = ("atlas", "ledger-bot", "sage")  # three head shapes: soft, capsule, rounded
Box = tuple[int, int, int, int]
Check = Callable[[Robot], bool]  # what the design must say for a feature
HEAD: Box = (200, 170, 824, 700)
EYE_BAND: Box = (262, 290, 762, 520)
RIGHT_EYE: Box = (512, 290, 762, 560)
LEFT_SIDE: Box = (140, 150, 330, 640)
CROWN: Box = (330, 20, 694, 240)
THROAT: Box = (400, 740, 624, 880)
NECK: Box = (360, 640, 664, 1000)
CHEST: Box = (420, 800, 604, 1000)


def _is(material: str) -> Check:
    return lambda robot: robot.material == material


def _wears(accessory: str) -> Check:
    return lambda robot: robot.wears(accessory)


def _hue_near(degrees: float) -> Check:
    def check(robot: Robot) -> bool:
        hue = colorsys.rgb_to_hls(*(v / 255 for v in robot.palette.body))[0] * 360
        return min(abs(hue - degrees), 360 - abs(hue - degrees)) < 15
    return check


def _glow_hue_near(degrees: float) -> Check:
    def check(robot: Robot) -> bool:
        hue = colorsys.rgb_to_hls(*(v / 255 for v in robot.palette.glow))[0] * 360
        return min(abs(hue - degrees), 360 - abs(hue - degrees)) < 15
    return check


# (feature, prompt with the word, prompt without it, what the design must say, where to look)
FEATURES = [
    ("chrome", "a chrome robot", "a robot", _is("chrome"), HEAD),
    ("brass", "a brass robot", "a robot", _is("brass"), HEAD),
    ("copper", "a copper robot", "a robot", _is("copper"), HEAD),
    ("wood", "a wood robot", "a robot", _is("wood"), HEAD),
    ("porcelain", "a porcelain robot", "a robot", _is("porcelain"), HEAD),
    ("matte black", "a matte black robot", "a robot", _is("matte"), HEAD),
    ("gold", "a gold robot", "a robot", _is("gold"), HEAD),
    ("spectacles", "a robot with spectacles", "a robot", _wears("spectacles"), EYE_BAND),
    ("monocle", "a robot with a monocle", "a robot", _wears("monocle"), RIGHT_EYE),
    ("visor", "a robot with a visor", "a robot", _wears("visor"), EYE_BAND),
    ("headset", "a robot with a headset", "a robot", _wears("headset"), LEFT_SIDE),
    ("antenna", "a robot with an antenna", "a robot", _wears("antenna"), CROWN),
    ("bow tie", "a robot with a bow tie", "a robot", _wears("bow_tie"), THROAT),
    ("hat", "a robot with a hat", "a robot", _wears("hat"), CROWN),
    ("scarf", "a robot with a scarf", "a robot", _wears("scarf"), NECK),
    ("shield emblem", "a robot with a shield emblem", "a robot", _wears("shield"), CHEST),
    ("tie", "a robot with a tie", "a robot", _wears("tie"), CHEST),
    ("green", "a green robot", "a robot", _hue_near(142), HEAD),
    ("purple", "a purple robot", "a robot", _hue_near(268), HEAD),
    ("orange", "an orange robot", "a robot", _hue_near(25), HEAD),
    ("amber eyes", "a robot with amber eyes", "a robot", _glow_hue_near(38), EYE_BAND),
]


def request(prompt: str, name: str = "atlas", *, seed: int = SEED,
            emotion: Emotion | None = None) -> ImageRequest:
    return ImageRequest(kind="emotion" if emotion else "identity", agent_name=name,
                        identity_prompt=prompt, prompt=prompt, seed=seed, emotion=emotion)


_RENDERS: dict[ImageRequest, Image.Image] = {}


def picture(req: ImageRequest) -> Image.Image:
    """The decoded render of ``req``; each request is drawn once per test session."""
    if req not in _RENDERS:
        _RENDERS[req] = Image.open(io.BytesIO(render_robot(req))).convert("RGB")
    return _RENDERS[req]


def difference(a: Image.Image, b: Image.Image, box: Box) -> float:
    """Mean absolute per-channel difference (0-255) inside ``box``."""
    return sum(ImageStat.Stat(ImageChops.difference(a.crop(box), b.crop(box))).mean) / 3


def test_there_are_at_least_twenty_features() -> None:
    assert len(FEATURES) >= 20
    assert len({feature for feature, *_ in FEATURES}) == len(FEATURES)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("feature", "worded", "plain", "picked_up", "region"), FEATURES,
                         ids=[f[0] for f in FEATURES])
def test_each_feature_word_is_read_and_visibly_drawn(
        name: str, feature: str, worded: str, plain: str, picked_up: Check, region: Box) -> None:
    with_word, without = request(worded, name), request(plain, name)
    assert picked_up(design(with_word)), f"{feature!r} not read from {worded!r}"
    assert not picked_up(design(without)), f"{name} shows {feature!r} on its own; pick another"
    change = difference(picture(with_word), picture(without), region)
    assert change > VISIBLE, (feature, name, round(change, 2))


def test_unknown_words_change_nothing() -> None:
    """The floor the threshold is measured against: words outside the vocabulary are ignored."""
    plain = render_robot(request("a robot"))
    assert render_robot(request("a robot, friendly and kind, at your service")) == plain


@pytest.mark.parametrize(("prompt", "accessory"), [
    ("GLASSES", "spectacles"), ("eyeglasses", "spectacles"), ("reading glasses", "spectacles"),
    ("headphones", "headset"), ("Earphones", "headset"), ("antennae", "antenna"),
    ("aerials", "antenna"), ("a top hat", "hat"), ("top-hat", "hat"), ("fedora", "hat"),
    ("bowtie", "bow_tie"), ("a Bow-Tie", "bow_tie"), ("scarves", "scarf"), ("muffler", "scarf"),
    ("an emblem", "shield"), ("crest", "shield"), ("goggles", "visor"), ("sunglasses", "visor"),
    ("monocles", "monocle"), ("necktie", "tie"), ("an executive", "tie"), ("in a suit", "tie"),
])
def test_synonyms_plurals_and_case(prompt: str, accessory: str) -> None:
    assert design(request(prompt)).wears(accessory)


@pytest.mark.parametrize(("prompt", "material"), [
    ("CHROME", "chrome"), ("chromed", "chrome"), ("steampunk", "brass"), ("coppery", "copper"),
    ("wooden", "wood"), ("oak", "wood"), ("walnut", "wood"), ("ceramic", "porcelain"),
    ("glazed", "porcelain"), ("matt grey", "matte"), ("golden", "gold"), ("gilded", "gold"),
])
def test_material_synonyms(prompt: str, material: str) -> None:
    assert design(request(prompt)).material == material


@pytest.mark.parametrize("prompt", [
    "glassware", "hatch and that", "a suitable robot", "goldfish", "woodpecker",
    "chromebook", "shieldless", "a tiebreaker", "scarfing", "antennal",
])
def test_only_whole_words_count(prompt: str) -> None:
    robot, plain = design(request(prompt)), design(request("a robot"))
    assert robot.material is None
    assert robot.accessories == plain.accessories


def test_colour_words_work_together_with_materials() -> None:
    red_porcelain = design(request("a red porcelain robot"))
    assert red_porcelain.material == "porcelain"
    assert _hue_near(0)(red_porcelain)
    blue_chrome = design(request("a blue chrome robot"))
    assert blue_chrome.material == "chrome" and _hue_near(217)(blue_chrome)
    teal_eyed_wood = design(request("a wooden robot with glowing teal eyes"))
    assert teal_eyed_wood.material == "wood" and _glow_hue_near(174)(teal_eyed_wood)
    assert difference(picture(request("a red porcelain robot")),
                      picture(request("a porcelain robot")), HEAD) > VISIBLE


def test_a_colour_in_front_of_an_accessory_colours_the_accessory() -> None:
    red_scarf, scarf = request("a robot with a red scarf"), request("a robot with a scarf")
    robot = design(red_scarf)
    assert robot.tint("scarf", (0, 0, 0)) == (239, 68, 68)
    assert robot.palette == design(scarf).palette  # the body keeps its colours
    assert difference(picture(red_scarf), picture(scarf), NECK) > VISIBLE
    gold = design(request("gold rimmed spectacles"))
    assert gold.material is None and gold.tint("spectacles", (0, 0, 0)) == (218, 170, 52)


def test_a_colour_before_an_implied_accessory_stays_on_the_body() -> None:
    robot = design(request("chrome and navy executive android"))
    assert robot.wears("tie") and robot.tints == ()
    assert robot.palette.secondary[2] > robot.palette.secondary[0]  # navy shoulders


def test_the_first_of_two_exclusive_accessories_wins() -> None:
    assert design(request("a monocle, not spectacles")).accessories >= {"monocle"}
    assert not design(request("a monocle, not spectacles")).wears("spectacles")
    assert design(request("spectacles or a monocle")).wears("spectacles")
    assert not design(request("a bow tie and a tie")).wears("tie")
    # a word that only implies an accessory loses to one that names it
    executive = design(request("an executive robot in a bow tie"))
    assert executive.wears("bow_tie") and not executive.wears("tie")


def _forehead(req: ImageRequest, mode: str = "L") -> Image.Image:
    """The shell between the head's top edge and its screen: where a finish shows."""
    frame = head_frame(design(req))
    x0, y0, x1, _ = frame.head
    box = (int(x0 + 80), int(y0 + 14), int(x1 - 80), int(frame.screen[1] - 20))
    return picture(req).crop(box).convert(mode)


def _brightest(band: Image.Image) -> int:
    return int(ImageStat.Stat(band).extrema[0][1])


def _grain(band: Image.Image) -> float:
    """Mean absolute change from one row to the next: texture and sharp bands score high."""
    top, bottom = band.crop((0, 0, band.width, band.height - 1)), band.crop(
        (0, 1, band.width, band.height))
    return ImageStat.Stat(ImageChops.difference(top, bottom)).mean[0]


@pytest.mark.parametrize("name", NAMES)
def test_each_material_has_its_own_finish(name: str) -> None:
    def band(prompt: str) -> Image.Image:
        return _forehead(request(prompt, name))

    assert _brightest(band("a chrome robot")) >= 245  # specular highlights
    assert _grain(band("a chrome robot")) > 2 * _grain(band("a grey robot"))  # sharp horizon
    assert _brightest(band("a matte black robot")) < 130  # no highlight at all
    assert _brightest(band("a black robot")) > _brightest(band("a matte black robot"))
    assert _brightest(band("a porcelain robot")) > _brightest(band("a white robot"))
    assert _grain(band("a wood robot")) > 2 * _grain(band("a brown robot"))  # grain
    for metal in ("brass", "copper", "gold"):  # warm metal, with a bright highlight
        shell = request(f"a {metal} robot", name)
        r, g, b = ImageStat.Stat(_forehead(shell, "RGB")).mean
        assert r > g > b, metal
        assert _brightest(_forehead(shell)) >= 230, metal


def test_the_seven_materials_look_different_from_each_other() -> None:
    materials = ["chrome", "brass", "copper", "wood", "porcelain", "matte black", "gold"]
    faces = {m: picture(request(f"a {m} robot", "ledger-bot")) for m in materials}
    for i, a in enumerate(materials):
        for b in materials[i + 1:]:
            assert difference(faces[a], faces[b], HEAD) > VISIBLE, (a, b)


def _outside_the_crop() -> Image.Image:
    """Everything a circular avatar crop (with its ring) cuts away, as a mask."""
    mask = Image.new("L", (1024, 1024), 255)
    ImageDraw.Draw(mask).ellipse((12, 12, 1012, 1012), fill=0)
    return mask


@pytest.mark.parametrize("prompt", ["a robot with a hat", "a robot with an antenna",
                                    "a robot with a hat and an antenna", "a robot with a headset",
                                    "a robot with a scarf", "a robot with a bow tie",
                                    "a robot with a shield emblem", "a robot with a monocle"])
def test_accessories_stay_inside_the_circular_crop(prompt: str) -> None:
    outside = _outside_the_crop()
    for name in ("exec-assistant", "atlas"):  # the widest and a narrower head
        # curious turns the head; thoughtful's dots move aside for a hat
        for emotion in (None, Emotion.CURIOUS, Emotion.THOUGHTFUL):
            drawn = ImageChops.difference(picture(request(prompt, name, emotion=emotion)),
                                          picture(request("a robot", name, emotion=emotion)))
            cut = Image.new("RGB", drawn.size)
            cut.paste(drawn, mask=outside)
            assert max(hi for _, hi in ImageStat.Stat(cut).extrema) <= 40, (prompt, name, emotion)


@pytest.mark.parametrize("prompt", ["a robot with a hat", "a robot with an antenna",
                                    "a robot with a headset", "a robot with a scarf",
                                    "a robot with a bow tie", "a robot with a shield emblem",
                                    "a robot with a tie"])
def test_accessories_other_than_eyewear_leave_the_eyes_alone(prompt: str) -> None:
    for name in NAMES:
        for emotion in (None, Emotion.SURPRISED):
            req = request(prompt, name, emotion=emotion)
            face = face_layout(head_frame(design(req)).screen)
            reach = face.eye_r * 2.0  # eyes, brows and their glow
            for side in (-1, 1):
                box = (round(face.eye_x(side) - reach), round(face.eye_y - reach),
                       round(face.eye_x(side) + reach), round(face.eye_y + reach))
                plain = picture(request("a robot", name, emotion=emotion))
                assert difference(picture(req), plain, box) == 0.0, (prompt, name, side)


def test_the_same_worded_request_gives_identical_bytes() -> None:
    req = request("steampunk brass robot with a monocle, a red scarf and a top hat",
                  emotion=Emotion.AMUSED)
    assert render_robot(req) == render_robot(req)


FEATURE_PROMPT = "porcelain robot with a teal visor, headphones, a gold shield and a bow tie"


@pytest.mark.slow
def test_worded_requests_give_identical_bytes_across_processes_and_hash_seeds() -> None:
    code = (
        "import hashlib, sys; from avatar_core.foundation.models import Emotion;"
        "from avatar_core.providers.base import ImageRequest;"
        "from avatar_core.providers.builtin import render_robot;"
        "p = sys.argv[1];"
        "print(*(hashlib.sha256(render_robot(ImageRequest(kind='emotion', agent_name='atlas',"
        " identity_prompt=p, prompt=p, seed=7, emotion=e))).hexdigest()"
        " for e in (Emotion.HAPPY, Emotion.CURIOUS)))"
    )
    digests = []
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", code, FEATURE_PROMPT], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True, timeout=120)
        digests.append(out.stdout.split())
    local = [hashlib.sha256(render_robot(request(FEATURE_PROMPT, emotion=e))).hexdigest()
             for e in (Emotion.HAPPY, Emotion.CURIOUS)]
    assert digests[0] == digests[1] == local
