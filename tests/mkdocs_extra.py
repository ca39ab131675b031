"""mkdocs.yml's `extra` section, as the manual's tests read it (the kept runs and files it names)."""

from pathlib import Path

import yaml

MKDOCS_YML = Path(__file__).resolve().parents[1] / "mkdocs.yml"


def mkdocs_extra() -> dict:
    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("", lambda loader, suffix, node: None)  # material's !!python/name tags
    return yaml.load(MKDOCS_YML.read_text(), Loader=_Loader)["extra"]
