"""A run that died after the provider answered left that image on its pending emotion row; when
the avatar has changed since, the row is dropped, and its kept image must go with it."""

from __future__ import annotations

import io

import sqlalchemy as sa
from PIL import Image

from avatar_core.storage.schema import emotion_variants
from tests.helpers import wait_until


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def test_a_stale_variants_delivered_image_is_deleted_with_it(make_service, tmp_path) -> None:
    data_dir = tmp_path / "data"
    setup = make_service(data_dir, resume=False)  # nothing draws: the rows stay pending
    setup.agents.register("atlas")
    setup.generate("atlas", "a brass robot")
    delivered = setup.files.put(_png(), "png")  # what the died run kept, before any encode
    with setup.engine.begin() as conn:
        key = conn.scalar(sa.select(emotion_variants.c.key).where(
            emotion_variants.c.status == "pending").limit(1))
        conn.execute(emotion_variants.update().where(emotion_variants.c.key == key)
                     .values(reference_blob=delivered))
    setup.generate("atlas", "a silver robot")  # the old rows' base is no longer current
    setup.close()

    service = make_service(data_dir)
    assert service.files.blobs.exists(delivered)  # still named by its row at start-up

    def stale_rows() -> int:
        with service.engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(emotion_variants)
                                   .where(emotion_variants.c.key == key)) or 0)

    wait_until(lambda: stale_rows() == 0 and service.work.idle(), timeout=180)
    assert not service.files.blobs.exists(delivered)
    assert delivered not in set(service.files.blobs.names())
