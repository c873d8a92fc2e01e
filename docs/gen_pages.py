"""mkdocs-gen-files script: write every generated page of the site from policies/, schema/ and examples/ at build time."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import mkdocs_gen_files

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.policy.policyset import load_policy_set  # noqa: E402
from engine.site.build import DEFAULT_REPO_URL, build_site  # noqa: E402

log = logging.getLogger("mkdocs.plugins.yibao")


def main() -> None:
    """Load and check the policy set, then write the pages; an invalid set fails the build."""
    ps = load_policy_set()
    if ps.problems:
        raise SystemExit("policy set is invalid; run 'yibao validate':\n" + "\n".join(str(p) for p in ps.problems[:20]))
    config = mkdocs_gen_files.config
    extra = config.extra or {}
    repo = extra.get("source_repo") or config.repo_url or DEFAULT_REPO_URL
    site = build_site(ps, ROOT, repo, branch=extra.get("source_branch") or _branch(config.edit_uri or ""))
    for page, text in site.pages.items():
        with mkdocs_gen_files.open(page, "w", encoding="utf-8") as fh:
            fh.write(text)
        mkdocs_gen_files.set_edit_path(page, site.edit_paths.get(page))
    _hide("SUMMARY.md")
    for note in site.notes:
        log.info("yibao docs: %s", note)


def _hide(name: str) -> None:
    """Keep a generated file (the literate-nav SUMMARY.md) readable by plugins but out of the built site and search."""
    from mkdocs.structure.files import InclusionLevel

    f = mkdocs_gen_files.files.get_file_from_path(name)
    if f is not None:
        f.inclusion = InclusionLevel.EXCLUDED


def _branch(edit_uri: str) -> str:
    """The branch named in an edit_uri such as 'edit/main/docs/'."""
    parts = [p for p in edit_uri.split("/") if p]
    return parts[1] if len(parts) > 1 and parts[0] in ("edit", "blob") else "main"


main()
