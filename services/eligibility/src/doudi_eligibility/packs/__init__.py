"""The shipped policy packs (``<name>.yaml``, one per jurisdiction's document),
read from the package: ``load_pack(name)`` and ``default_registry()``."""

from __future__ import annotations

from importlib import resources

import yaml

from doudi_eligibility.domain.packs import Pack, PackRegistry, pack_from_data

PACK_FILES = ("luan-2021", "hangzhou-2024", "lanzhou-2021", "puyang-2020", "qingyunpu-2021")


def load_pack(name: str) -> Pack:
    text = resources.files("doudi_eligibility.packs").joinpath(f"{name}.yaml").read_text("utf-8")
    return pack_from_data(yaml.safe_load(text))


def default_registry() -> PackRegistry:
    return PackRegistry([load_pack(name) for name in PACK_FILES])
