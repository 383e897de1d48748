"""The members area: restricted pages and downloads of the members build, per reader."""

from __future__ import annotations

from flask import Flask, current_app
from flask_login import current_user

from gate.config import resolve_path
from gate.members.catalogue import Current, NotBuilt
from gate.members.routes import bp, private, reader_of
from gate.shell import Frame, PublicFrame, cut


def frame() -> Frame:
    """The frame of a gate page for this reader: the members one when signed in."""
    if current_user.is_authenticated:
        current: Current = current_app.extensions["sop_members"]
        try:
            build = current.get(resolve_path(current_app.config["MEMBERS_SITE_DIR"]))
        except NotBuilt:
            pass
        else:
            return cut(build.page_for(build.not_found, reader_of(build)).decode("utf-8"))
    public: PublicFrame = current_app.extensions["sop_public_frame"]
    return public.get(resolve_path(current_app.config["SITE_DIR"]) / "404.html")


def init_app(app: Flask) -> None:
    """Register the blueprint, its cache headers and the frame of gate pages."""
    app.extensions["sop_members"] = Current()
    app.extensions["sop_public_frame"] = PublicFrame()
    app.register_blueprint(bp)
    app.after_request(private)
    app.context_processor(lambda: {"gate_frame": frame})
