"""A child process for crash tests: does real work on a data dir until the parent SIGKILLs it.

Usage: python -m tests.crash_child MODE DATA_DIR [STUB_URL]
  MODE = write     generate avatars for a few agents in a loop (built-in provider)
         bulk      start bulk defaults for 12 agents against the stub, then wait
         emotions  generate one avatar against the stub; its emotions run in the background
         batch     start bulk defaults for 3 agents in batch mode against the stub, then wait
Prints "ready" once work has started; never exits on its own in bulk/emotions modes.
"""

from __future__ import annotations

import os
import sys
import time

from avatar_core.foundation.config import Settings
from avatar_core.service import AvatarService


def main() -> None:
    mode, data_dir = sys.argv[1], sys.argv[2]
    values = {"AVATARS_DATA_DIR": data_dir, "AVATARS_DEMO": "0", "AVATARS_CONCURRENCY": "2",
              "AVATARS_REFINE_PROMPT": "off"}
    if mode == "write":
        values["AVATARS_PROVIDER"] = "builtin"
    else:
        values.update({"AVATARS_PROVIDER": "gemini", "GEMINI_API_KEY": "crash-test-key",
                       "GOOGLE_GEMINI_BASE_URL": sys.argv[3]})
    # Settings a test adds for several replicas (shared database, bucket, lease length).
    values.update({k: v for k, v in os.environ.items()
                   if k.startswith(("AVATARS_DATABASE_URL", "AVATARS_BLOB_URL", "AVATARS_LEASE",
                                    "AVATARS_BATCH_POLL_S",
                                    "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION"))})
    service = AvatarService(Settings.from_mapping(values)).start()
    if mode == "write":
        names = [f"agent-{i}" for i in range(3)]
        for name in names:
            if name not in {a.name for a in service.agents.list()}:
                service.agents.register(name)
        print("ready", flush=True)
        round_ = 0
        while True:
            for name in names:
                service.generate(name, f"robot number {round_}")
                service.regenerate(name)
                if round_ % 2:
                    service.remove_avatar(name)
            round_ += 1
    if mode == "bulk":
        for i in range(12):
            service.agents.register(f"bulk-{i:02d}", type="other")
        service.generate_defaults()
    elif mode == "batch":
        known = {a.name for a in service.list_agents()}
        for name in ("atlas", "nova", "orion"):
            if name not in known:
                service.register_agent(name)
        service.generate_defaults(batch=True)
    elif mode == "emotions":
        service.agents.register("moody")
        service.generate("moody", "a robot with many moods")
    print("ready", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
