"""Every image GET: ?size= on the ladder, AVIF/WebP/PNG by Accept or ?format=, one ETag per
representation, renditions kept (and collected with their version), ?fallback= faces."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from avatar_core.domain import urls
from avatar_core.storage.schema import renditions
from tests.helpers import wait_until

AVIF = {"Accept": "image/avif,image/webp,image/*,*/*;q=0.8"}  # what Chromium sends for <img>
WEBP = {"Accept": "image/webp,*/*"}
PNG_ONLY = {"Accept": "image/png,image/jpeg"}


def size_of(answer) -> tuple[int, int]:
    return Image.open(io.BytesIO(answer.content)).size


def renditions_done(service) -> bool:
    return service.work.idle() and not service.serving.rows.pending()


@pytest.fixture
def served(make_client):
    """A client over a service whose agent atlas has an avatar and all its renditions made."""
    client, service = make_client(background=True)
    service.agents.register("atlas")
    service.agents.register("nobody", display_name="Night Owl")
    service.install_picture("atlas", _photo())
    wait_until(lambda: renditions_done(service), timeout=300)
    return client, service


def _photo() -> bytes:
    """A 1024 px picture with detail, so that sizes and formats differ in bytes."""
    image = Image.radial_gradient("L").resize((1024, 1024)).convert("RGB")
    out = io.BytesIO()
    Image.merge("RGB", (image.getchannel(0), image.rotate(90).getchannel(0),
                        image.rotate(45).getchannel(0))).save(out, format="PNG")
    return out.getvalue()


def test_size_rounds_up_to_the_ladder_and_never_above_the_source(served):
    client, _ = served
    assert size_of(client.get("/agents/atlas/avatar?size=48")) == (48, 48)
    assert size_of(client.get("/agents/atlas/avatar?size=40")) == (48, 48)
    assert size_of(client.get("/agents/atlas/avatar?size=16")) == (32, 32)
    assert size_of(client.get("/agents/atlas/avatar?size=500")) == (512, 512)
    assert size_of(client.get("/agents/atlas/avatar")) == (512, 512)


@pytest.mark.parametrize("size", ["600", "15", "0", "-1", "big"])
def test_size_outside_16_to_512_is_422_with_the_one_error_body(served, size):
    client, _ = served
    answer = client.get(f"/agents/atlas/avatar?size={size}")
    assert answer.status_code == 422
    assert "size" in answer.json()["detail"]


def test_format_follows_accept_and_format_wins(served):
    client, _ = served
    for headers, query, media in [(AVIF, "", "image/avif"), (WEBP, "", "image/webp"),
                                  (PNG_ONLY, "", "image/png"), ({}, "", "image/webp"),
                                  (AVIF, "&format=png", "image/png"),
                                  (PNG_ONLY, "&format=avif", "image/avif"),
                                  (AVIF, "&format=webp", "image/webp")]:
        answer = client.get(f"/agents/atlas/avatar?size=64{query}", headers=headers)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == media, (headers, query)
        assert Image.open(io.BytesIO(answer.content)).format == media.split("/")[1].upper()
        assert size_of(answer) == (64, 64)
        # Negotiated answers vary by Accept; an explicit ?format= does not.
        assert answer.headers.get("vary") == (None if query else "Accept")
    assert client.get("/agents/atlas/avatar?format=gif").status_code == 422


def test_each_representation_has_its_etag_and_answers_304(served):
    client, _ = served
    etags = {}
    for query, headers in [("?size=48", AVIF), ("?size=48", WEBP), ("?size=48", PNG_ONLY),
                           ("?size=96", WEBP), ("", WEBP), ("", AVIF)]:
        answer = client.get(f"/agents/atlas/avatar{query}", headers=headers)
        etag = answer.headers["etag"]
        etags[query, headers["Accept"]] = etag
        again = client.get(f"/agents/atlas/avatar{query}",
                           headers={**headers, "If-None-Match": etag})
        assert again.status_code == 304, (query, headers)
        assert again.headers.get("vary") == "Accept"
    assert len(set(etags.values())) == len(etags)


def test_versioned_urls_are_immutable_per_representation(served):
    client, service = served
    url = urls.avatar_url(service.agents.get("atlas")).removeprefix("/api")
    for headers in (AVIF, WEBP, PNG_ONLY):
        answer = client.get(f"{url}&size=48", headers=headers)
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get(url.replace("?v=", "?v=0000")).headers["cache-control"] == \
        "public, no-cache"


def test_avif_not_made_yet_answers_webp_and_is_not_immutable(make_client):
    client, service = make_client()  # no background work: AVIF is never made on a request
    service.agents.register("atlas")
    service.install_picture("atlas", _photo())
    url = urls.avatar_url(service.agents.get("atlas")).removeprefix("/api")
    answer = client.get(f"{url}&size=128", headers=AVIF)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/webp"
    assert answer.headers["cache-control"] == "public, no-cache"
    assert answer.headers["vary"] == "Accept"
    assert service.serving.rows.pending() > 0  # queued for the background


def test_hot_answers_are_the_routes_answers(served):
    client, _ = served
    first = client.get("/agents/atlas/avatar?size=48", headers=AVIF)  # cold: the route
    second = client.get("/agents/atlas/avatar?size=48", headers=AVIF)  # hot: the fast path
    assert first.content == second.content
    assert {k: first.headers[k] for k in ("etag", "cache-control", "vary", "content-type")} == \
        {k: second.headers[k] for k in ("etag", "cache-control", "vary", "content-type")}


def test_every_image_get_takes_size_and_format(served):
    client, service = served
    version = service.versions("atlas")[0]
    for path in (f"/agents/atlas/avatar/versions/{version.id}/image", "/agents/atlas/avatar",
                 "/agents/atlas/avatar/reference"):
        answer = client.get(f"{path}?size=96&format=png")
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        assert size_of(answer) == (96, 96)
    plain = client.get("/agents/atlas/avatar/reference")
    assert plain.headers["content-type"] == "image/png" and size_of(plain) == (1024, 1024)


def test_emotion_images_take_size_and_are_polished_in_the_background(make_client):
    client, service = make_client(background=True)
    service.agents.register("atlas")
    service.generate("atlas", "a robot with moods")
    wait_until(lambda: bool(service.emotions("atlas").emotions), timeout=120)
    wait_until(lambda: renditions_done(service), timeout=300)
    found = service.emotions("atlas")
    emotion = found.emotions[0]
    keyed = f"/agents/atlas/avatar/emotion/{emotion}?k={found.keys[emotion]}"
    for headers, media in ((AVIF, "image/avif"), (WEBP, "image/webp")):
        answer = client.get(f"{keyed}&size=64", headers=headers)
        assert answer.headers["content-type"] == media
        assert size_of(answer) == (64, 64)
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    # The quick WebP was replaced by the searched one, and the quick one's blob is gone.
    display = client.get(keyed, headers=WEBP)
    assert display.headers["etag"].strip('"') + ".webp" == \
        service.emotions("atlas").blobs[emotion]
    assert display.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_fallback_answers_a_face_for_an_agent_without_an_avatar(served):
    client, _ = served
    assert client.get("/agents/nobody/avatar").status_code == 404
    for kind in ("initials", "robot"):
        answer = client.get(f"/agents/nobody/avatar?fallback={kind}&size=64", headers=WEBP)
        assert answer.status_code == 200
        assert answer.headers["x-avatar-fallback"] == kind
        assert answer.headers["cache-control"] == "public, max-age=300"
        assert answer.headers["content-type"] == "image/webp"
        assert size_of(answer) == (64, 64)
        again = client.get(f"/agents/nobody/avatar?fallback={kind}&size=64", headers=WEBP)
        assert again.content == answer.content  # deterministic
    png = client.get("/agents/nobody/avatar?fallback=initials&size=32", headers=PNG_ONLY)
    assert png.headers["content-type"] == "image/png" and size_of(png) == (32, 32)
    # The initials sit on the ring colour: the corner pixel is indigo, not white or black.
    corner = Image.open(io.BytesIO(png.content)).convert("RGB").getpixel((1, 1))
    assert corner[2] > corner[0] > 40
    missing = client.get("/agents/ghost/avatar?fallback=initials")
    assert missing.status_code == 404 and missing.json()["detail"] == "Agent not found"
    assert client.get("/agents/nobody/avatar?fallback=sparkles").status_code == 422
    # An agent that has an avatar answers it, whatever the fallback.
    assert "x-avatar-fallback" not in client.get("/agents/atlas/avatar?fallback=robot").headers


def test_renditions_are_kept_and_collected_with_their_version(served):
    client, service = served
    client.get("/agents/atlas/avatar?size=192", headers=PNG_ONLY)  # made on a request
    with service.engine.connect() as conn:
        made = {r.blob for r in conn.execute(sa.select(renditions))}
    assert made and all(service.blobs.exists(name) for name in made)
    assert service.files.referenced() >= made
    service.delete_agent("atlas")
    assert not any(service.blobs.exists(name) for name in made)
    with service.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(renditions)) == 0


def test_renditions_in_an_s3_store(make_client, cluster_env):
    client, service = make_client(background=True, **cluster_env)
    service.agents.register("atlas")
    service.install_picture("atlas", _photo())
    wait_until(lambda: renditions_done(service), timeout=300)
    answer = client.get("/agents/atlas/avatar?size=48", headers=AVIF)
    assert answer.headers["content-type"] == "image/avif" and size_of(answer) == (48, 48)
    with service.engine.connect() as conn:
        blobs = set(conn.scalars(sa.select(renditions.c.blob)))
    assert answer.headers["etag"].strip('"') + ".avif" in blobs
    assert all(service.blobs.exists(name) for name in blobs)
