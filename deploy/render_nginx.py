"""Render deploy/nginx.conf for a listen address, a set of replicas and a prefix directory.

    python deploy/render_nginx.py --listen 8080 --upstream 127.0.0.1:8501 \\
        --upstream 127.0.0.1:8502 --prefix /srv/avatars/nginx > /srv/avatars/nginx/nginx.conf

Also creates the prefix's logs/ and tmp/ directories, so that
``nginx -p PREFIX -c nginx.conf -g 'pid PREFIX/nginx.pid;'`` starts at once. Used by
deploy/cluster and by the tests (tests/nginx_server.py), so both run the one configuration.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

__all__ = ["TEMPLATE", "prepare_prefix", "render_nginx_conf"]

TEMPLATE = Path(__file__).resolve().with_name("nginx.conf")
_UPSTREAM = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")  # host:port, [v6]:port
_LISTEN = re.compile(r"^([A-Za-z0-9.\-\[\]:]+:)?\d{1,5}$")  # port, or address:port


def render_nginx_conf(listen: str, upstreams: list[str], prefix: Path) -> str:
    """The configuration text; refuses values that would not be one nginx token."""
    if not _LISTEN.fullmatch(listen):
        raise ValueError(f"listen must be PORT or ADDRESS:PORT, not {listen!r}")
    if not upstreams:
        raise ValueError("at least one upstream (host:port) is needed")
    for upstream in upstreams:
        if not _UPSTREAM.fullmatch(upstream):
            raise ValueError(f"an upstream must be host:port, not {upstream!r}")
    prefix_text = str(Path(prefix).resolve())
    if re.search(r"[\s;{}'\"$]", prefix_text):
        raise ValueError(f"the prefix path must not contain spaces or nginx syntax: "
                         f"{prefix_text!r}")
    servers = "\n".join(f"        server {upstream};" for upstream in upstreams)
    values = {"@UPSTREAMS@": servers, "@LISTEN@": listen, "@PREFIX@": prefix_text}
    lines = []
    for line in TEMPLATE.read_text().splitlines(keepends=True):
        if not line.lstrip().startswith("#"):  # the header comment names the placeholders
            for placeholder, value in values.items():
                line = line.replace(placeholder, value)
        lines.append(line)
    text = "".join(lines)
    left = re.findall(r"^[^#\n]*(@[A-Z]+@)", text, flags=re.MULTILINE)
    if left:
        raise ValueError(f"the template has placeholders nobody fills in: {sorted(set(left))}")
    return text


def prepare_prefix(prefix: Path) -> None:
    """The directories the configuration names; nginx creates the temp subdirectories."""
    for sub in ("logs", "tmp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    # Workers run as an unprivileged user when nginx starts as root: they must be able to
    # reach the temp directories to buffer large bodies.
    for directory in (prefix, prefix / "tmp"):
        directory.chmod(0o755)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--listen", required=True, help="PORT or ADDRESS:PORT")
    parser.add_argument("--upstream", action="append", required=True,
                        help="a replica's host:port (repeat for each)")
    parser.add_argument("--prefix", required=True, type=Path,
                        help="directory for logs and temp files (nginx -p)")
    parser.add_argument("--output", type=Path, help="write here instead of stdout")
    args = parser.parse_args(argv)
    prepare_prefix(args.prefix)
    text = render_nginx_conf(args.listen, args.upstream, args.prefix)
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
