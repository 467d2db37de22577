"""The offline provider: deterministic robot portraits drawn with Pillow, no key, no network.

Why it exists: a fresh install (or a demo without a Gemini key) still gives every agent a
distinct, polished face with all eight emotions. Why it is built this way:

* The *base* look (head, antenna, ears, eyes, mouth, palette) comes from sha256 of the agent
  name, so an agent keeps its face across restarts and machines; ``request.seed`` only varies
  details (pose, antenna lean, head trim, chest badge), and emotions reuse the base seed, so an
  emotion is the same robot with a different expression.
* Same request → byte-identical PNG: only ``random.Random`` seeded from ints, no ``hash()``, no
  timestamps, no threads.
* Colours come from the uploaded style image when there is one, else from colour words in the
  identity prompt ("matte black with glowing teal circuit traces"), else from the name.
* Drawn on a 2x canvas and resolved with an exact 2x2 box average (``Image.reduce``): the
  classic supersampling anti-alias, and 15x cheaper than a LANCZOS resize on this hardware,
  which keeps one 1024 px PNG at roughly 0.2-0.3 s on two cores.
"""

from __future__ import annotations

import colorsys
import functools
import io
import random
import re
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageOps, UnidentifiedImageError

from ..foundation.errors import InvalidInput
from ..foundation.keys import seed_for
from .base import GeneratedImage, ImageRequest
from .robot_parts import (
    EXPRESSIONS,
    RGB,
    WHITE,
    Canvas,
    Palette,
    darken,
    draw_face,
    lighten,
    mix,
    tune,
)

__all__ = ["BuiltinProvider", "design", "render_robot"]

OUTPUT_SIZE = 1024
SCALE = 2
STROKE = 9.0  # outline width in 1024-units, the same for every part
SLATE_TOP, SLATE_BOTTOM = (30, 36, 51), (15, 23, 42)
INDIGO = (79, 70, 229)

COLOURS: dict[str, tuple[int, int, int]] = {
    "chrome": (184, 194, 212), "silver": (170, 178, 192), "white": (226, 232, 240),
    "gray": (120, 130, 148), "grey": (120, 130, 148), "gunmetal": (76, 86, 104),
    "black": (46, 50, 62), "navy": (37, 62, 130), "blue": (59, 130, 246), "sky": (56, 189, 248),
    "cyan": (34, 200, 230), "teal": (20, 184, 166), "mint": (110, 231, 183),
    "green": (34, 197, 94), "lime": (132, 204, 22), "yellow": (250, 204, 21),
    "gold": (218, 170, 52), "amber": (245, 158, 11), "orange": (249, 115, 22),
    "copper": (196, 110, 60), "bronze": (176, 120, 60), "red": (239, 68, 68),
    "crimson": (200, 30, 60), "pink": (236, 72, 153), "magenta": (217, 70, 239),
    "purple": (147, 80, 230), "violet": (139, 92, 246), "indigo": (99, 102, 241),
    "lavender": (167, 139, 250),
}
# (body, secondary, glow) combinations that look good together, for names without colour words.
NAME_PALETTES = (
    ("blue", "navy", "cyan"), ("teal", "gunmetal", "amber"), ("orange", "gunmetal", "cyan"),
    ("purple", "indigo", "pink"), ("chrome", "navy", "sky"), ("green", "gunmetal", "lime"),
    ("red", "gunmetal", "amber"), ("pink", "purple", "mint"), ("amber", "navy", "sky"),
    ("yellow", "gunmetal", "cyan"), ("violet", "navy", "amber"), ("copper", "gunmetal", "teal"),
    ("sky", "navy", "yellow"), ("mint", "teal", "pink"), ("magenta", "navy", "cyan"),
    ("lime", "gunmetal", "violet"),
)
GLOW_NOUNS = frozenset({"eye", "eyes", "glow", "light", "lights", "trace", "traces", "led", "leds",
                        "accent", "accents", "visor", "screen", "circuit", "circuits"})
GLOW_ADJECTIVES = frozenset({"glowing", "neon", "lit", "luminous"})
HEADS = ("rounded", "soft", "ellipse", "octagon", "dome", "capsule")
SCREENS = ("rounded", "pill", "tv")
EYES = ("round", "pill", "square", "ring", "wide")
MOUTHS = ("smile", "line", "grille", "wave", "smile")
ANTENNAS = ("single", "double", "bulb", "fin", "bar")
EARS = ("disc", "box", "cup", "bolt", "spike")


@dataclass(frozen=True)
class Robot:
    """Every choice that shapes one portrait; ``base`` fields from the name, the rest from seed."""

    head: str
    width: float
    height: float
    screen: str
    eyes: str
    mouth: str
    antenna: str
    ears: str
    palette: Palette
    spectacles: bool
    tie: bool
    pattern: str | None
    gaze: int
    lean: float
    trim: str
    chest: str


def _glow(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    return tune(colour, lo=0.6, hi=0.74, min_sat=0.8)


def _body(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    return tune(colour, lo=0.24, hi=0.8)


def _lightness(colour: tuple[int, int, int]) -> float:
    return colorsys.rgb_to_hls(*(v / 255 for v in colour))[1]


def _image_colours(data: bytes) -> list[tuple[int, int, int]]:
    """The style image's main colours, most common first (median cut is deterministic)."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.draft("RGB", (128, 128))
            rgba = im.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput("The style image is not a readable image") from exc
    rgba.thumbnail((48, 48))
    flat = Image.new("RGB", rgba.size, (128, 128, 128))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    quant = flat.quantize(colors=6, method=Image.Quantize.MEDIANCUT)
    pal = quant.getpalette() or []
    counts = sorted(quant.getcolors() or [], key=lambda c: (-c[0], c[1]))
    return [(pal[3 * i], pal[3 * i + 1], pal[3 * i + 2]) for _, i in counts]


def _saturation(colour: tuple[int, int, int]) -> float:
    return colorsys.rgb_to_hls(*(v / 255 for v in colour))[2]


def _is_glow(words: list[str], i: int) -> bool:
    """'glowing teal', 'amber eyes', 'teal circuit traces' light up; 'black with …' does not."""
    if i > 0 and words[i - 1] in GLOW_ADJECTIVES:
        return True
    for word in words[i + 1:i + 4]:
        if word in COLOURS or word in ("with", "and", "or"):
            return False
        if word in GLOW_NOUNS:
            return True
    return False


def choose_palette(request: ImageRequest, rng: random.Random) -> Palette:
    """Style image, then colour words in the prompt, then the name's own combination."""
    body_name, second_name, glow_name = rng.choice(NAME_PALETTES)
    body, second, glow = COLOURS[body_name], COLOURS[second_name], COLOURS[glow_name]
    two_tone = False
    if request.style_image:
        colours = _image_colours(request.style_image)
        body = colours[0]
        distinct = [c for c in colours[1:] if sum(map(abs, (c[0] - body[0], c[1] - body[1],
                                                              c[2] - body[2]))) > 90]
        second = distinct[0] if distinct else darken(body, 0.35)
        glow = max(colours, key=lambda c: (_saturation(c), c))
    else:
        words = re.findall(r"[a-z]+", request.identity_prompt.lower())
        bodies: list[tuple[int, int, int]] = []
        for i, word in enumerate(words):
            if word not in COLOURS:
                continue
            if _is_glow(words, i):
                glow = COLOURS[word]
            else:
                bodies.append(COLOURS[word])
        if bodies:
            body = bodies[0]
            second = bodies[1] if len(bodies) > 1 else darken(body, 0.3)
        two_tone = len(bodies) > 1 and bool({"holographic", "iridescent"} & set(words))
    body = _body(body)
    second = _body(second)
    trim = (84, 94, 114) if _lightness(body) > 0.6 else (176, 186, 204)
    return Palette(body, second if two_tone else darken(body, 0.22), second, trim, _glow(glow))


def design(request: ImageRequest) -> Robot:
    """Decide the robot: base style from the name, details from the request's seed."""
    base = random.Random(seed_for("builtin-robot", request.agent_name))
    detail = random.Random(request.seed)
    extras = random.Random(seed_for("builtin-accessories", request.agent_name))
    prompt = request.identity_prompt.lower()
    head = base.choice(HEADS)
    return Robot(
        head=head, width=base.choice((540.0, 570.0, 600.0)), height=base.choice((450.0, 480.0)),
        screen=base.choice(SCREENS), eyes=base.choice(EYES), mouth=base.choice(MOUTHS),
        antenna=base.choice(ANTENNAS), ears=base.choice(EARS),
        palette=choose_palette(request, base),
        spectacles=any(w in prompt for w in ("spectacle", "glasses")) or extras.random() < 0.1,
        tie=any(w in prompt for w in ("executive", "business", "suit")) or extras.random() < 0.12,
        pattern=("circuit" if "circuit" in prompt else "grid" if "grid" in prompt
                 else detail.choice((None, None, None, "grid", "circuit"))),
        gaze=detail.choice((-1, 0, 0, 1)), lean=detail.uniform(-18, 18),
        trim=detail.choice(("rivets", "light", "seam", "vents")),
        chest=detail.choice(("core", "panel", "stripes", "badge")),
    )


HEAD_Y = 440.0
NECK = (452.0, 640.0, 572.0, 830.0)
SHOULDERS = (160.0, 796.0, 864.0, 1240.0)


def _mirror(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    return (1024 - box[2], box[1], 1024 - box[0], box[3])


def _disc(cv: Canvas, x: float, y: float, r: float, colour: RGB, halo: float = 0.0) -> None:
    """A lit ball: optional halo, outline, gradient, specular dot."""
    if halo:
        mask, d = cv.mask()
        d.ellipse(cv.box((x - r * halo, y - r * halo, x + r * halo, y + r * halo)), fill=255)
        cv.fill(cv.soften(mask, r * 0.6), colour, 0.55)
    cv.part("ellipse", (x - r, y - r, x + r, y + r), r, lighten(colour, 0.45), colour,
            darken(colour, 0.75), STROKE * 0.8)
    mask, d = cv.mask()
    d.ellipse(cv.box((x - r * 0.5, y - r * 0.62, x - r * 0.05, y - r * 0.2)), fill=255)
    cv.fill(mask, WHITE, 0.7)


def _rod(cv: Canvas, p0: tuple[float, float], p1: tuple[float, float], width: float,
         colour: RGB, outline: RGB) -> None:
    for w, c in ((width + 2 * STROKE, outline), (width, colour)):
        cv.stroke(cv.draw, [p0, p1], w, c)


@functools.lru_cache(maxsize=2)
def _backdrop(scale: int) -> Image.Image:
    """Slate gradient with an indigo glow behind the head; drawn small (it is all soft) once."""
    size = 256
    ramp = Image.linear_gradient("L").resize((size, size))
    image = ImageOps.colorize(ramp, SLATE_TOP, SLATE_BOTTOM)
    radial = Image.radial_gradient("L").point(
        lambda v: round(200 * max(0.0, 1 - v * 181 / 255 / 128) ** 1.8))
    glow_size = round(size * 980 / 1024)
    glow = Image.new("L", (size, size))
    cy = round(size * (HEAD_Y + 20) / 1024)
    glow.paste(radial.resize((glow_size, glow_size), Image.Resampling.BICUBIC),
               (size // 2 - glow_size // 2, cy - glow_size // 2))
    image.paste(INDIGO, mask=glow)
    return image.resize((1024 * scale, 1024 * scale), Image.Resampling.BICUBIC)


def draw_body(cv: Canvas, robot: Robot) -> None:
    """Background, glow, shoulders, chest detail and neck: everything that never tilts."""
    pal = robot.palette
    cv.image.paste(_backdrop(cv.scale))
    outline = darken(pal.secondary, 0.8)
    torso = cv.part("rounded", SHOULDERS, 210, lighten(pal.secondary, 0.14),
                    darken(pal.secondary, 0.45), outline, STROKE)
    if robot.tie:
        for side in (-1, 1):
            cv.draw.polygon([(cv.px(512 + side * 16), cv.px(800)),
                             (cv.px(512 + side * 118), cv.px(792)),
                             (cv.px(512 + side * 58), cv.px(905))], fill=(236, 240, 246))
        pts = [(496, 818), (528, 818), (542, 840), (532, 980), (512, 1010), (492, 980), (482, 840)]
        cv.draw.polygon([(cv.px(x), cv.px(y)) for x, y in pts], fill=darken(pal.glow, 0.35))
    elif robot.chest == "core":
        _disc(cv, 512, 910, 44, pal.trim)
        _disc(cv, 512, 910, 26, pal.glow, halo=2.2)
    elif robot.chest == "panel":
        cv.part("rounded", (424, 874, 600, 942), 22, pal.screen, pal.screen, outline, STROKE * 0.8)
        for i, c in enumerate((pal.glow, lighten(pal.body, 0.3), (251, 191, 36))):
            _disc(cv, 466 + i * 46, 908, 12, c)
    elif robot.chest == "badge":
        cv.part("rounded", (600, 858, 676, 934), 18, lighten(pal.body, 0.1), pal.body, outline,
                STROKE * 0.8)
        _disc(cv, 638, 896, 16, pal.glow, halo=2.0)
    if robot.chest == "stripes" or robot.tie:
        stripes, d = cv.mask()
        for side in (-1, 1):
            d.rounded_rectangle(cv.box((512 + side * 215 - 20, 820, 512 + side * 215 + 20, 1100)),
                                radius=cv.px(20), fill=255)
        cv.fill(cv.clip(stripes, torso), pal.body, 0.9)
    cv.part("rounded", NECK, 24, lighten(pal.trim, 0.1), darken(pal.trim, 0.45),
            darken(pal.trim, 0.8), STROKE)
    for y in (712, 748):
        cv.draw.rounded_rectangle(cv.box((NECK[0] + 14, y, NECK[2] - 14, y + 9)), radius=cv.px(4),
                                  fill=darken(pal.trim, 0.55))


def _screen_box(robot: Robot, head: tuple[float, float, float, float]) -> tuple[float, ...]:
    x0, y0, x1, _ = head
    w, h = x1 - x0, robot.height
    inset, top, bottom = {"ellipse": (0.15, 0.25, 0.8), "dome": (0.1, 0.31, 0.88),
                          "capsule": (0.13, 0.2, 0.82)}.get(robot.head, (0.1, 0.21, 0.85))
    return (x0 + w * inset, y0 + h * top, x1 - w * inset, y0 + h * bottom)


def draw_head(cv: Canvas, robot: Robot, emotion: str) -> float:
    """Ears, antenna, head, screen and face; returns the head's tilt in degrees."""
    pal = robot.palette
    w, h = robot.width, robot.height
    head = (512 - w / 2, HEAD_Y - h / 2, 512 + w / 2, HEAD_Y + h / 2)
    x0, y0, x1, y1 = head
    dark = darken(pal.trim, 0.8)
    for mirror in (False, True):
        def place(box: tuple[float, float, float, float], m: bool = mirror) -> tuple[float, ...]:
            return _mirror(box) if m else box
        side = 1 if mirror else -1
        ex = 512 + side * (w / 2)
        if robot.ears == "disc":
            _disc(cv, ex + side * 6, HEAD_Y, 60, pal.trim)
            _disc(cv, ex + side * 14, HEAD_Y, 22, pal.glow, halo=1.8)
        elif robot.ears in ("box", "cup"):
            box = (x0 - 46, HEAD_Y - 74, x0 + 20, HEAD_Y + 74) if robot.ears == "box" else (
                x0 - 44, HEAD_Y - 92, x0 + 20, HEAD_Y + 92)
            colour = pal.secondary if robot.ears == "box" else pal.trim
            cv.part("rounded", place(box), 20 if robot.ears == "box" else 32,
                    lighten(colour, 0.12), darken(colour, 0.4), darken(colour, 0.8), STROKE)
            slot = pal.glow if robot.ears == "cup" else darken(colour, 0.6)
            for dy in (-26, 0, 26) if robot.ears == "box" else (-40, 40):
                cv.draw.rounded_rectangle(
                    cv.box(place((x0 - 32, HEAD_Y + dy - 5, x0 - 8, HEAD_Y + dy + 5))),
                    radius=cv.px(5), fill=slot)
        elif robot.ears == "bolt":
            cv.part("rounded", place((x0 - 34, HEAD_Y - 40, x0 + 20, HEAD_Y + 40)), 12,
                    lighten(pal.trim, 0.1), darken(pal.trim, 0.45), dark, STROKE)
            _disc(cv, ex + side * 40, HEAD_Y, 26, pal.secondary)
        else:  # spike: little side antennas
            tip = (ex + side * 48, HEAD_Y - 118)
            _rod(cv, (ex - side * 10, HEAD_Y - 10), tip, 14, pal.trim, dark)
            _disc(cv, ex + side * 48, HEAD_Y - 118, 19, pal.glow, halo=2.0)
    top, lean = y0, robot.lean
    if robot.antenna == "single":
        _rod(cv, (512, top + 20), (512 + lean, top - 74), 16, pal.trim, dark)
        _disc(cv, 512 + lean, top - 74, 27, pal.glow, halo=2.2)
    elif robot.antenna == "double":
        for side in (-1, 1):
            bx = 512 + side * 70
            _rod(cv, (bx, top + 24), (bx + side * 40 + lean * 0.4, top - 60), 14, pal.trim, dark)
            _disc(cv, bx + side * 40 + lean * 0.4, top - 60, 20, pal.glow, halo=2.0)
    elif robot.antenna == "bulb":
        mask, d = cv.mask()
        d.ellipse(cv.box((512 - 70, top - 120, 512 + 70, top + 10)), fill=255)
        cv.fill(cv.soften(mask, 30), pal.glow, 0.5)
        cv.part("dome", (466, top - 96, 558, top), 10, lighten(pal.glow, 0.55), pal.glow,
                darken(pal.glow, 0.75), STROKE * 0.8)
        cv.part("rounded", (446, top - 26, 578, top + 20), 14, lighten(pal.trim, 0.1),
                darken(pal.trim, 0.4), dark, STROKE)
    elif robot.antenna == "fin":
        cv.part("rounded", (490 + lean * 0.3, top - 88, 534 + lean * 0.3, top + 30), 22,
                lighten(pal.secondary, 0.15), darken(pal.secondary, 0.3),
                darken(pal.secondary, 0.8), STROKE)
    else:  # bar: a light bar on the crown
        cv.part("rounded", (420, top - 38, 604, top + 24), 22, lighten(pal.trim, 0.1),
                darken(pal.trim, 0.4), dark, STROKE)
        for i in range(3):
            _disc(cv, 466 + i * 46, top - 8, 13, pal.glow if i != 1 else lighten(pal.glow, 0.4))
    kind = {"soft": "rounded", "capsule": "rounded"}.get(robot.head, robot.head)
    radius = {"rounded": 84.0, "soft": 150.0, "octagon": 96.0, "dome": 70.0}.get(robot.head, h / 2)
    skull = cv.part(kind, head, radius, lighten(pal.body, 0.16), darken(pal.body_low, 0.28),
                    pal.outline, STROKE)
    shine, d = cv.mask()
    d.ellipse(cv.box((x0 + w * 0.1, y0 + h * 0.04, x0 + w * 0.55, y0 + h * 0.3)), fill=255)
    cv.fill(cv.clip(cv.soften(shine, 22), skull), WHITE, 0.4)
    screen = _screen_box(robot, head)
    sx0, sy0, sx1, sy1 = screen
    lines, d = cv.mask()
    if robot.pattern == "grid":
        for i in range(-12, 13):
            d.line(cv.box((512 + i * 44, y0, 512 + i * 44, y1)), fill=255, width=cv.px(3))
            d.line(cv.box((x0, HEAD_Y + i * 44, x1, HEAD_Y + i * 44)), fill=255, width=cv.px(3))
        cv.fill(cv.clip(lines, skull), darken(pal.body, 0.3), 0.8)
    elif robot.pattern == "circuit":
        for side in (-1, 1):
            edge = sx0 if side < 0 else sx1
            for k, frac in enumerate((0.25, 0.55, 0.8)):
                y = sy0 + (sy1 - sy0) * frac
                pts = [(edge, y), (edge + side * 14, y), (edge + side * 30, y - 16 - 8 * k),
                       (edge + side * 90, y - 16 - 8 * k)]
                cv.stroke(d, pts, 5)
                ex, ey = pts[-1]
                d.ellipse(cv.box((ex - 8, ey - 8, ex + 8, ey + 8)), fill=255)
        for dx in (-60, 60):
            cv.stroke(d, [(512 + dx, sy0), (512 + dx, sy0 - 26), (512 + dx * 1.6, sy0 - 50)], 5)
        cv.fill(cv.soften(cv.clip(lines, skull), 6), pal.glow, 0.5)
        cv.fill(cv.clip(lines, skull), lighten(pal.glow, 0.3))
    trims, d = cv.mask()
    if robot.trim == "rivets":
        ix, iy = (0.2, 0.2) if robot.head in ("ellipse", "dome", "capsule") else (0.06, 0.08)
        for px in (x0 + w * ix, x1 - w * ix):
            py = y0 + h * iy if robot.head != "dome" else y1 - h * 0.06
            _disc(cv, px, py, 10, lighten(pal.body, 0.35))
    elif robot.trim == "light":
        ly = (y0 + sy0) / 2 + 4
        cv.part("rounded", (476, ly - 10, 548, ly + 10), 10, lighten(pal.glow, 0.5), pal.glow,
                darken(pal.glow, 0.7), STROKE * 0.6)
    elif robot.trim == "seam":
        sy = (y0 + sy0) / 2 + 6
        d.line(cv.box((x0, sy, x1, sy)), fill=255, width=cv.px(6))
        cv.fill(cv.clip(trims, skull), darken(pal.body, 0.35))
    else:  # vents on the cheeks
        for side in (-1, 1):
            vx = (x0 + sx0) / 2 if side < 0 else (x1 + sx1) / 2
            for dy in (-22, 0, 22):
                vy = sy1 - 40 + dy
                d.rounded_rectangle(cv.box((vx - 12, vy - 5, vx + 12, vy + 5)), radius=cv.px(5),
                                    fill=255)
        cv.fill(cv.clip(trims, skull), darken(pal.body, 0.45))
    shape = "rounded"
    sr = {"pill": (sy1 - sy0) * 0.46, "tv": 26.0}.get(robot.screen, (sy1 - sy0) * 0.22)
    if robot.head == "ellipse" or robot.head == "capsule":
        sr = (sy1 - sy0) * 0.46
    bezel = mix(pal.body, (5, 8, 18), 0.55)
    glass = cv.part(shape, screen, sr, mix(pal.screen, pal.glow, 0.1), pal.screen, bezel, 11)
    glare, d = cv.mask()
    d.polygon([(cv.px(sx0), cv.px(sy0)), (cv.px(sx0 + (sx1 - sx0) * 0.45), cv.px(sy0)),
               (cv.px(sx0 + (sx1 - sx0) * 0.2), cv.px(sy1)), (cv.px(sx0), cv.px(sy1))], fill=255)
    cv.fill(cv.clip(glare, glass), WHITE, 0.05)
    draw_face(cv, screen, head, robot.eyes, robot.mouth, emotion, pal, glass, robot.spectacles,
              robot.gaze)
    return EXPRESSIONS[emotion].tilt


def render_robot(request: ImageRequest) -> bytes:
    """Draw the portrait for ``request`` and return it as a 1024x1024 PNG."""
    robot = design(request)
    cv = Canvas(SCALE)
    draw_body(cv, robot)
    body = cv.image.copy()
    emotion = request.emotion.value if request.emotion else "neutral"
    tilt = draw_head(cv, robot, emotion)
    # reduce() is an exact box average of each SCALE×SCALE block: the supersampling resolve,
    # 15x cheaper than LANCZOS for an integer factor and just as clean on flat art.
    out = cv.image.reduce(SCALE)
    if tilt:  # turn the head at output size: rotating the 2x canvas costs half a second
        changed = ImageChops.difference(body, cv.image).convert("L").point(
            lambda v: 255 if v else 0).reduce(SCALE)
        out_body = body.reduce(SCALE)
        bbox = changed.getbbox() or (0, 0, OUTPUT_SIZE, OUTPUT_SIZE)
        pad = 60
        region = (max(bbox[0] - pad, 0), max(bbox[1] - pad, 0),
                  min(bbox[2] + pad, OUTPUT_SIZE), min(bbox[3] + pad, OUTPUT_SIZE))
        centre = (512 - region[0], 700 - region[1])
        head = out.crop(region).rotate(tilt, Image.Resampling.BICUBIC, center=centre)
        mask = changed.crop(region).rotate(tilt, Image.Resampling.BILINEAR, center=centre)
        out_body.paste(head, region[:2], mask)
        out = out_body
    buffer = io.BytesIO()
    out.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


class BuiltinProvider:
    """Offline, deterministic robot avatars; needs no configuration (``BuiltinProvider()``)."""

    name: str = "builtin"
    model: str = "robot-v1"

    def generate(self, request: ImageRequest) -> GeneratedImage:
        return GeneratedImage(data=render_robot(request), mime_type="image/png")
