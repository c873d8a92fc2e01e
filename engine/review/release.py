"""Versions: open a version (git revision or folder), compare semver, and check a release (bumps, CHANGELOG)."""
from __future__ import annotations

import contextlib
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.policy.policyset import PolicySet, load_policy_set, require_valid
import dataclasses

from engine.core.messages import Text, msg, tr
from engine.core.paths import RELEASES_FILE
from engine.core.problems import InputError, KeyedInputError, PolicyError

EXPORTED = ("policies", "schema", "engine", "CHANGELOG.md", "pyproject.toml", "tests/scenarios")

WATCHED_CODE = ("schema", "engine")
IGNORED_PARTS = {"__pycache__", ".pytest_cache"}


@dataclass
class Side:
    """One version of the policies: what the user named, where its files are, and the loaded set."""

    label: str
    ref: str | None
    root: Path | None  # a repository-like folder with CHANGELOG.md, pyproject.toml, schema/, engine/
    policies: Path
    ps: PolicySet

    def doc_path(self, doc_id: str) -> str:
        """A document's file path relative to the side's root (policies/… for a repository)."""
        p = Path(self.ps.documents[doc_id].path).resolve()
        base = self.policies.parent if self.root is not None else self.policies
        try:
            return str(p.relative_to(base.resolve()))
        except ValueError:
            return str(p)


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout


def read_releases(repo: Path) -> list[tuple[str, str]]:
    """The release record (releases.txt): (version, commit) pairs in file order; none when the file is missing."""
    f = repo / RELEASES_FILE
    if not f.is_file():
        return []
    out = []
    for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split()
        if len(parts) != 2 or not re.fullmatch(r"\d+\.\d+\.\d+\S*", parts[0]) or not re.fullmatch(r"[0-9a-f]{7,40}", parts[1]):
            raise KeyedInputError("error.releases_file", path=str(f), line=n, text=text)
        out.append((parts[0], parts[1]))
    return out


def release_commit(repo: Path, ref: str) -> str | None:
    """The commit of a released version named `ref` ('0.1.0' or 'v0.1.0'), from the release record; else None."""
    want = ref[1:] if ref.startswith("v") else ref
    return next((c for v, c in read_releases(repo) if v == want), None)


def last_release(repo: Path) -> str | None:
    """The highest released version in the release record, else the most recent v* tag, else None."""
    versions = [v for v, _ in read_releases(repo)]
    if versions:
        return max(versions, key=semver)
    return last_release_tag(repo)


def require_checkout(repo: Path, what: str) -> None:
    """InputError unless `repo` is a git checkout (an installed package has no history)."""
    if not (repo / ".git").exists():
        raise KeyedInputError("error.needs_checkout", what=what, root=str(repo))


def export_ref(repo: Path, ref: str, dest: Path) -> None:
    """Write policies/, schema/, engine/, CHANGELOG.md, pyproject.toml and tests/scenarios of `ref` (a git revision,
    or a released version from the release record) into `dest`."""
    ref = release_commit(repo, ref) or ref
    try:
        present = set(_git(repo, "ls-tree", "-r", "--name-only", ref).decode().splitlines())
    except (OSError, subprocess.CalledProcessError) as exc:
        err = (getattr(exc, "stderr", b"") or b"").decode(errors="replace").strip()
        said = (err or str(exc)).splitlines()[0]
        raise InputError(Text("ref.unknown", ref=ref, why=Text("usage.reason", zh="git 中找不到该版本", en=said))) from None
    wanted = [w for w in EXPORTED if any(f == w or f.startswith(w + "/") for f in present)]
    if "policies" not in wanted:
        raise InputError(Text("ref.no_policies", ref=ref))
    tar = _git(repo, "archive", "--format=tar", ref, "--", *wanted)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=tar, check=True)


def open_side(spec: str, repo: Path, stack: contextlib.ExitStack) -> Side:
    """A folder (policies folder or repository root) or a git revision of `repo`, loaded and validated."""
    folder = Path(spec)
    if folder.is_dir():
        if (folder / "policies").is_dir():
            root, pol = folder, folder / "policies"
        else:
            pol = folder
            root = folder.parent if (folder.parent / "pyproject.toml").is_file() and folder.name == "policies" else None
        return Side(spec, None, root, pol, require_valid(load_policy_set(pol)))
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="yibao-diff-")))
    export_ref(repo, spec, tmp)
    return Side(spec, spec, tmp, tmp / "policies", valid_at_ref(load_policy_set(tmp / "policies"), tmp, spec))


def valid_at_ref(ps: PolicySet, tmp: Path, ref: str) -> PolicySet:
    """The set exported from `ref` into `tmp`, or PolicyError naming each file as REF:policies/… (never the temporary folder)."""
    try:
        return require_valid(ps)
    except PolicyError as exc:
        prefix = str(tmp) + "/"
        raise PolicyError([dataclasses.replace(p, path=f"{ref}:{p.path.removeprefix(prefix)}") for p in exc.problems]) from None


# -- comparison -------------------------------------------------------------
def semver(v: str) -> tuple[int, ...]:
    """'1.2.3' as (1, 2, 3); unparsable parts count as 0."""
    return tuple(int(x) if x.isdigit() else 0 for x in (v.split(".") + ["0", "0"])[:3])


def bump_kind(old: str, new: str) -> str:
    """none, patch, minor, major or down."""
    a, b = semver(old), semver(new)
    if b == a:
        return "none"
    if b < a:
        return "down"
    return "major" if b[0] > a[0] else ("minor" if b[1] > a[1] else "patch")


def read_release_version(root: Path | None) -> str | None:
    """The version in root/pyproject.toml, or None where there is none."""
    f = root / "pyproject.toml" if root is not None else None
    if f is None or not f.is_file():
        return None
    m = re.search(r'^version\s*=\s*"([^"]+)"', f.read_text(encoding="utf-8"), re.M)
    return m.group(1) if m else None


def _changelog(root: Path | None) -> str | None:
    f = root / "CHANGELOG.md" if root is not None else None
    return f.read_text(encoding="utf-8") if f is not None and f.is_file() else None


def _tree(root: Path, sub: str) -> dict[str, bytes]:
    """Every file below root/sub (no caches or compiled files), by relative path."""
    d = root / sub
    if not d.is_dir():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(d.rglob("*"))
            if p.is_file() and not IGNORED_PARTS & set(p.parts) and p.suffix != ".pyc" and ".egg-info" not in str(p)}


def changed_code(base_root: Path | None, head_root: Path | None) -> list[str]:
    """Files of schema/ and engine/ that differ between the two roots."""
    if base_root is None or head_root is None:
        return []
    out = []
    for sub in WATCHED_CODE:
        if not ((base_root / sub).is_dir() and (head_root / sub).is_dir()):
            continue  # a side without the folder (a bare copy of policies) says nothing about it
        a, b = _tree(base_root, sub), _tree(head_root, sub)
        out += sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return out


def _doc_errors(base: Any, report: dict[str, Any]) -> list[str]:
    errors = []
    for c in report["documents"]["changed"]:
        i, path, bv, hv = c["id"], c["path"], c["version_before"], c["version_after"]
        seen = {h.get("version") for h in base.ps.documents[i].raw.get("history", [])} | {bv}
        if c["bump"] == "none":
            errors.append(Text("release.not_bumped", path=path, id=i, fields=", ".join(c["fields"]) or "rules", version=bv))
        elif c["bump"] == "down" or hv in seen:
            errors.append(Text("release.version_reused", path=path, id=i, version=hv, base=base.label, base_version=bv))
        elif c["moves_money"] and c["bump"] == "patch":
            major, minor, _ = semver(bv)
            rules = [r["rule"] for r in report["rules"]["changed"] if r["rule"].startswith(i + "#") and r["moves_money"]]
            what = ", ".join(rules) if rules else ", ".join(sorted(set(c["fields"]) - {"history", "version"})) or "rules added or removed"
            errors.append(Text("release.patch_moves_money", path=path, id=i, what=what, before=bv, after=hv, minimum=f"{major}.{minor + 1}.0"))
    return errors


def release_check(base: Any, head: Any, report: dict[str, Any]) -> dict[str, Any]:
    """Errors (the release is wrong), warnings (worth a look) and notes (what could not be checked)."""
    errors, warnings, notes = _doc_errors(base, report), [], []
    docs = report["documents"]
    touched = [d["id"] for d in docs["added"] + docs["removed"] + docs["changed"]]
    policies_moved = report["fingerprint_changed"]
    code = changed_code(base.root, head.root)
    if base.root is None or head.root is None:
        notes.append(Text("release.bare_folder", side=Text("diff.side_base" if base.root is None else "diff.side_head")))
    cb, ch = _changelog(base.root), _changelog(head.root)
    if (policies_moved or code) and base.root is not None and head.root is not None:
        what = Text("release.what", docs=Text("release.docs_changed", n=len(touched)) if policies_moved else "",
                    sep="; " if policies_moved and code else "",
                    code=Text("release.code_changed", n=len(code), folders="/".join(WATCHED_CODE), example=code[0]) if code else "")
        if ch is None:
            errors.append(Text("release.changelog_missing", head=head.label, what=what))
        elif cb == ch:
            errors.append(Text("release.changelog_no_entry", what=what))
        else:
            added = "\n".join(set(ch.splitlines()) - set((cb or "").splitlines()))
            for i in touched:
                if i not in added:
                    warnings.append(Text("release.changelog_unnamed", id=i))
    vb, vh = read_release_version(base.root), read_release_version(head.root)
    if policies_moved and vb is not None and vh is not None:
        if semver(vh) <= semver(vb):
            errors.append(Text("release.version_not_above", head=vh, base=vb, before=report["base"]["fingerprint"][:19],
                               after=report["head"]["fingerprint"][:19]))
        elif ch is not None and f"## [{vh}]" not in ch:
            warnings.append(Text("release.no_section", version=vh))
    return {"ok": not errors, "errors": errors, "warnings": warnings, "notes": notes,
            "release_version": {"base": vb, "head": vh}, "code_changed": code}


def render_release_md(rel: dict[str, Any], lang: str = "zh") -> list[str]:
    """The release-check section of the pull-request comment."""
    state = "✅ " + msg("release.ok", lang) if rel["ok"] else "❌ " + msg("release.n_errors", lang, n=len(rel["errors"]))
    out = [f"### {msg('release.title', lang)}：{state}" if lang == "zh" else f"### {msg('release.title', lang)}: {state}", ""]
    out += [f"- ❌ {tr(e, lang)}" for e in rel["errors"]] + [f"- ⚠️ {tr(w, lang)}" for w in rel["warnings"]]
    out += [f"- ℹ️ {tr(n, lang)}" for n in rel["notes"]]
    return out + [""]


def last_release_tag(repo: Path) -> str | None:
    """The most recent tag v* reachable from HEAD, or None."""
    try:
        r = subprocess.run(["git", "-C", str(repo), "describe", "--tags", "--abbrev=0", "--match", "v*"],
                           capture_output=True, text=True)
    except OSError:
        return None
    return r.stdout.strip() or None if r.returncode == 0 else None
