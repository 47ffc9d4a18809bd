"""Root filesystems built from Debian packages with debootstrap, imported as images.

One ``debootstrap --variant=minbase`` run of bookworm makes the shared base rootfs,
cached as a tarball under the cache directory (``<cache>/rootfs``). Each offline image
unpacks that tarball into a temporary directory under ``/var/tmp``, installs its
packages with ``apt-get`` in a chroot, is cleaned of documentation and apt state, and
is imported with ``docker import`` (plus a metadata-only ``docker build`` for what the
import refuses). The Debian mirror is never written here: it comes from ``mirror=`` /
``CHAOS_APT_MIRROR`` or the host's apt configuration
(:func:`chaos.lab.images.aptmirror.find_apt_mirror`).

Which images to build, their recipes and when to reuse them is
:mod:`chaos.lab.images.labset`; this module only knows how to make one rootfs into an image.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from chaos.errors import LabError
from chaos.lab.images.aptmirror import find_apt_mirror

SUITE = "bookworm"
VARIANT = "minbase"
#: Packages in the shared base rootfs (both offline images want them).
BASE_PACKAGES = ("ca-certificates", "procps")
STD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

OFFLINE_DIR = Path(__file__).resolve().parent / "offline"
ENTRYPOINT_SRC = OFFLINE_DIR / "docker-entrypoint.sh"

Log = Callable[[str], None]


# --------------------------------------------------------------------------- helpers


def _run(argv: list[str], *, log_file: Path, what: str, env: dict[str, str] | None = None,
         extra_log: Path | None = None) -> None:
    """Run argv (never through a shell), output to log_file; LabError with its tail."""
    with open(log_file, "ab") as out:
        try:
            proc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, env=env, check=False)
        except OSError as exc:
            raise LabError(f"{what}: cannot run {argv[0]}: {exc}") from None
    if proc.returncode != 0:
        tail = _tail(log_file)
        if extra_log is not None and extra_log.is_file():
            tail += f"\n--- {extra_log.name} ---\n" + _tail(extra_log)
        raise LabError(f"{what} failed (exit {proc.returncode}); last lines of its log:\n{tail}")


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join("  " + ln for ln in text.splitlines()[-lines:])


def _chroot_env() -> dict[str, str]:
    env = {"PATH": STD_PATH, "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive",
           "DEBCONF_NONINTERACTIVE_SEEN": "true", "HOME": "/root"}
    for k in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


@contextlib.contextmanager
def _workdir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/var/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


_NODOC = """\
# chaos: no documentation, manual pages or translations in lab images
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
"""

_CLEAN_GLOBS = (
    "var/lib/apt/lists/*", "var/cache/apt/*.bin", "var/cache/apt/archives/*.deb",
    "var/cache/apt/archives/partial/*", "var/cache/debconf/*-old", "var/lib/dpkg/*-old",
    "var/log/apt/*", "var/log/dpkg.log", "var/log/alternatives.log", "var/log/bootstrap.log",
    "usr/share/man/*", "usr/share/info/*", "usr/share/lintian/*", "tmp/*", "var/tmp/*",
    "root/.cache", "debootstrap",
)


def _clean_rootfs(root: Path) -> None:
    for pattern in _CLEAN_GLOBS:
        for p in root.glob(pattern):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    p.unlink()
    docs = root / "usr/share/doc"
    if docs.is_dir():
        for p in docs.rglob("*"):
            if p.is_file() and p.name != "copyright":
                with contextlib.suppress(OSError):
                    p.unlink()
    locale = root / "usr/share/locale"
    if locale.is_dir():
        for p in locale.iterdir():
            if p.name != "locale.alias":
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink()
    with contextlib.suppress(OSError):
        (root / "usr/sbin/policy-rc.d").unlink()
    # Docker bind-mounts these at run time; the host's copies must not ship.
    for name in ("etc/resolv.conf", "etc/hostname"):
        p = root / name
        if p.is_symlink() or p.exists():
            p.unlink()
        p.write_text("")


# --------------------------------------------------------------------------- rootfs


def find_debootstrap() -> str | None:
    """debootstrap's path: on PATH, else where Debian puts it (/usr/sbin, off an
    ordinary user's PATH, and so off root's under `su` without `-`)."""
    return shutil.which("debootstrap") or shutil.which("debootstrap", path=STD_PATH)


def base_tarball_path(cache: Path, key: str) -> Path:
    return cache / "rootfs" / f"{SUITE}-{VARIANT}-{key}.tar"


def base_tarball(mirror: str | None, log: Log, *, cache: Path, key: str) -> Path:
    """The shared bookworm minbase rootfs, as a cached tarball (debootstrapped once).

    ``key`` names the tarball under ``cache/rootfs``: the caller passes a digest of the
    base recipe, so a changed recipe gets a fresh debootstrap."""
    target = base_tarball_path(cache, key)
    if target.is_file():
        log(f"  base rootfs: cached {target}")
        return target
    if os.geteuid() != 0:
        raise LabError("building offline images needs root (debootstrap and chroot); "
                       "run `chaos lab build --offline` as root")
    debootstrap = find_debootstrap()
    if debootstrap is None:
        raise LabError("debootstrap is not installed (apt-get install debootstrap); it is "
                       "needed to build the lab images without a registry")
    url = find_apt_mirror(mirror, suite=SUITE)
    target.parent.mkdir(parents=True, exist_ok=True)
    log(f"  base rootfs: debootstrap --variant={VARIANT} {SUITE} from {url} ...")
    t0 = time.monotonic()
    with _workdir("chaos-rootfs-") as work:
        root = work / "root"
        logf = work / "debootstrap.out"
        argv = [debootstrap, f"--variant={VARIANT}", "--include=" + ",".join(BASE_PACKAGES),
                SUITE, str(root), url]
        # debootstrap runs chroot and friends from /usr/sbin: a PATH that has them.
        env = {**os.environ, "LANG": "C.UTF-8", "PATH": STD_PATH}
        _run(argv, log_file=logf, what="debootstrap", env=env,
             extra_log=root / "debootstrap" / "debootstrap.log")
        d = root / "etc/dpkg/dpkg.cfg.d"
        d.mkdir(parents=True, exist_ok=True)
        (d / "chaos-nodoc").write_text(_NODOC)
        (root / "etc/apt/apt.conf.d/chaos-no-recommends").write_text(
            'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n')
        _clean_rootfs(root)
        partial = target.with_suffix(".tar.partial")
        _run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(partial), "."],
             log_file=work / "tar.out", what="tar of the base rootfs")
        partial.rename(target)
    log(f"  base rootfs: done in {time.monotonic() - t0:.1f}s ({target.stat().st_size >> 20} MB)")
    return target


def offline_image(client: Any, *, tag: str, base_tar: Path, mirror_url: str,
                   packages: tuple[str, ...], changes: list[str], labels: dict[str, str],
                   log: Log, extra_suites: tuple[str, ...] = (),
                   pre: Callable[[Path], None] | None = None,
                   post: Callable[[Path], None] | None = None) -> None:
    """Make ``tag`` from the base tarball plus ``packages`` and tag it with ``labels``;
    the caller checks the result (it knows which label proves the recipe)."""
    name = tag.split("/")[-1].split(":")[0]
    with _workdir(f"chaos-{name}-") as work:
        root = work / "root"
        root.mkdir()
        logf = work / "build.out"
        _run(["tar", "-C", str(root), "--numeric-owner", "-xpf", str(base_tar)],
             log_file=logf, what=f"{tag}: unpacking the base rootfs")
        policy = root / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\n# no services start while building an image\nexit 101\n")
        policy.chmod(0o755)
        resolv = root / "etc/resolv.conf"
        with contextlib.suppress(OSError):
            resolv.unlink()
        shutil.copyfile("/etc/resolv.conf", resolv)
        _write_sources(root, mirror_url, extra_suites)
        if pre:
            pre(root)
        env = _chroot_env()
        _run(["chroot", str(root), "apt-get", "-q", "update"], log_file=logf, env=env,
             what=f"{tag}: apt-get update")
        _run(["chroot", str(root), "apt-get", "-q", "-y", "install", "--no-install-recommends",
              *packages], log_file=logf, env=env, what=f"{tag}: apt-get install")
        _run(["chroot", str(root), "apt-get", "clean"], log_file=logf, env=env,
             what=f"{tag}: apt-get clean")
        if post:
            post(root)
        _write_sources(root, mirror_url, ())
        _clean_rootfs(root)
        tarball = work / "rootfs.tar"
        _run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(tarball), "."],
             log_file=logf, what=f"{tag}: tar of the rootfs")
        shutil.rmtree(root, ignore_errors=True)
        # Engine 20.10 refuses STOPSIGNAL (and more) in `import --change`, so the
        # import carries what it accepts and a metadata-only build adds the rest.
        importable = [c for c in changes if c.split()[0].upper() in _IMPORT_CHANGES]
        rest = [c for c in changes if c not in importable]
        try:
            out = client.api.import_image_from_file(str(tarball), changes=importable)
        except Exception as exc:
            raise LabError(f"docker import of {tag} failed: {exc}") from None
        imported = _check_import(out, tag)
    dockerfile = "\n".join([f"FROM {imported}", *rest]) + "\n"
    try:
        client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, pull=False,
                            rm=True, forcerm=True, labels=labels)
    except Exception as exc:
        raise LabError(f"finishing {tag} (docker build FROM the import) failed: {exc}") from None


_IMPORT_CHANGES = {"CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "USER", "VOLUME",
                   "WORKDIR"}


def _write_sources(root: Path, url: str, extra_suites: tuple[str, ...]) -> None:
    """apt sources of the chroot: bookworm (+ updates), and pinned-low extra suites that
    only packages named as ``pkg/suite`` come from."""
    lines = [f"deb {url} {SUITE} main", f"deb {url} {SUITE}-updates main"]
    lines += [f"deb {url} {s} main" for s in extra_suites]
    (root / "etc/apt/sources.list").write_text("\n".join(lines) + "\n")
    pin = root / "etc/apt/preferences.d/chaos-pin"
    if extra_suites:
        pin.parent.mkdir(parents=True, exist_ok=True)
        pin.write_text("".join(f"Package: *\nPin: release n={s}\nPin-Priority: 50\n\n"
                               for s in extra_suites if not s.startswith(SUITE)))
    elif pin.exists():
        pin.unlink()


def _check_import(out: Any, tag: str) -> str:
    """The image id from `docker import`'s JSON output (or LabError)."""
    text = out.decode(errors="replace") if isinstance(out, bytes) else str(out)
    for line in text.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if isinstance(msg, dict):
            if msg.get("error"):
                raise LabError(f"docker import of {tag} failed: {msg['error']}")
            status = str(msg.get("status", ""))
            if status.startswith("sha256:"):
                return status
    raise LabError(f"docker import of {tag} returned no image id: {text[-300:]}")
