"""A payment step's trace entry: one sentence (message catalogue) built from the kernel's own intermediate values."""
from __future__ import annotations

import string
from itertools import chain, repeat
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from engine.core.messages import msg
from engine.core.money import FEN_TEXT, fen_text, money_str, rate_str
from engine.core.registry import CATEGORIES, PARAMETERS
from engine.policy.model import PayStep
from engine.settle.kernel import NOCAP, Scaled
from engine.settle.stepfigs import Outcome


@lru_cache(maxsize=4096)
def ratio(r: Fraction) -> str:
    """A rate (exact fraction) as a decimal string, e.g. 0.70."""
    return rate_str(r.numerator / Decimal(r.denominator))


def yuan(v: Any, D: int = 1) -> str:
    """An amount held as fen x D, in yuan: exact, at least two decimals."""
    if D == 1:
        return fen_text(v)
    x = Decimal(int(v)) / Decimal(D) / 100
    return money_str(x) if x == x.quantize(Decimal("0.01")) else format(x.normalize(), "f")


def bands_str(bands: tuple) -> str:
    """Bands (or one rate) in words."""
    if len(bands) == 1:
        return rate_str(bands[0][1])
    return "; ".join(f"{money_str(f)}+: {rate_str(r)}" for f, r in bands)  # marginal bands: from each amount up, that rate


def off_entry(st: PayStep, out: Outcome, lang: str) -> dict[str, Any]:
    """The trace entry of a step that does not pay for the encounter: why, citing the step's declaration."""
    note = msg("trace.not_computed", lang, reason=out.note or "")
    name = st.name["zh" if lang != "en" else "en"]
    return {"step": f"{st.id}.paid", "value": "0.00", "rule": st.key, "document_version": st.doc_version, "clause": st.clause,
            "note": note, "text": (f"{name}：" if lang != "en" else f"{name}: ") + note}


def paid_entry(st: PayStep, value: str) -> dict[str, Any]:
    """The trace entry of one step's payment, citing the step's declaration; its sentence (`text`) is written later."""
    return {"step": f"{st.id}.paid", "value": value, "rule": st.key, "document_version": st.doc_version, "clause": st.clause,
            "text": None}


WHOLE_FEN = frozenset({"paid", "B", "total", "left"})  # amounts in whole fen; the others are held as fen x D


def step_sentence(st: PayStep, amount: int, det: dict[str, Any], sc: Scaled, out: Outcome, lang: str) -> str:
    """A paying step's sentence, from the kernel's own values for the encounter."""
    key = (lang, sc.D)
    hit = out.texts.get(key)
    if hit is None:  # the sentence's fixed words and the amounts it shows, once per figures and language
        tmpl = _template(st, sc, out, lang)
        hit = out.texts[key] = (tmpl, ("paid", "B", "above", *_shown(st, sc, out)), *_percent(tmpl))
    tmpl, shown, pct, order = hit
    det["paid"], det["above"] = amount, det["hi"] - det["lo"]
    if "A1" in shown:
        det["A1"] = det["A"] + det["C"]
    if "left" in shown:
        det["left"] = max(det["left"], 0)  # a cap lowered mid-year below what was paid: nothing left, nothing clawed back
    D = sc.D
    if D == 1:
        values = [det[n] for n in order]
        if pct is not None and min(values) >= 0:  # fen_text's text for every amount in one % format ("%d" truncates as int())
            return pct % tuple(chain.from_iterable(map(divmod, values, repeat(100, len(values)))))
        return tmpl.format_map({n: fen_text(det[n]) for n in shown})
    return tmpl.format_map({n: fen_text(det[n]) if n in WHOLE_FEN else yuan(det[n], D) for n in shown})


def _percent(tmpl: str) -> tuple[str | None, tuple[str, ...]]:
    """A sentence template as a % format with money.FEN_TEXT for each amount, and the amounts' names in their order (None if
    a placeholder has a format of its own)."""
    out: list[str] = []
    names: list[str] = []
    for text, field, spec, conversion in string.Formatter().parse(tmpl):
        out.append(text.replace("%", "%%"))
        if field is not None:
            if spec or conversion or not field.isidentifier():
                return None, ()
            out.append(FEN_TEXT)
            names.append(field)
    return "".join(out), tuple(names)


def _shown(st: PayStep, sc: Scaled, out: Outcome) -> tuple[str, ...]:
    """The kernel values a paying step's sentence shows beyond the base, the part above the deductible and the payment."""
    k = sc.kind
    names: list[str] = []
    if k.share_limit:
        names += ["total", "C"]
    if k.ceiling or k.deductible != "none":
        names.append("d")
    if k.deductible == "year" and not k.ceiling:
        names += ["A", "A1"]
    if len(out.figs.rates) > 1:
        names += ["lo", "hi"]
    if st.annual_cap and not out.missing and out.figs.cap != NOCAP:
        names.append("left")
    return tuple(names)


def _template(st: PayStep, sc: Scaled, out: Outcome, lang: str) -> Any:
    """A step's sentence with {placeholders} for the amounts (or, for a step that does not pay, its note and text)."""
    name = st.name["zh" if lang != "en" else "en"]
    k = sc.kind
    f = out.figs
    parts = [msg(f"trace.step.base.{k.base}", lang, name=name.replace("{", "{{").replace("}", "}}"), base="{B}")]
    if k.share_limit:
        parts.append(msg("trace.step.share_limit", lang, total="{total}", share=ratio(f.q), counted="{C}"))
    if k.ceiling:
        parts.append(msg("trace.step.ceiling", lang, share=ratio(f.x), limit="{d}", above="{above}"))
    elif k.deductible == "year":
        parts.append(msg("trace.step.deductible.year", lang, before="{A}", after="{A1}", deductible="{d}", above="{above}"))
    elif k.deductible == "encounter":
        parts.append(msg("trace.step.deductible.encounter", lang, deductible="{d}", above="{above}"))
    else:
        parts.append(msg("trace.step.deductible.none", lang, above="{above}"))
    if len(f.rates) > 1:
        bands = "；".join(msg("trace.step.band", lang, start=yuan(s), rate=ratio(r)) for s, r in zip(f.starts, f.rates))
        parts.append(msg("trace.step.bands", lang, lo="{lo}", hi="{hi}", bands=bands))
    elif not k.ceiling:
        parts.append(msg("trace.step.rate", lang, rate=ratio(f.rates[0])))
    if st.annual_cap:
        if out.missing:
            parts.append(msg("trace.step.cap_missing", lang))
        else:
            parts.append(msg("trace.step.no_cap", lang) if f.cap == NOCAP else msg("trace.step.cap", lang, left="{left}"))
    parts.append(msg("trace.step.paid", lang, paid="{paid}"))
    return "".join(parts)


def param_text(name: str, st: Any, value: str | None, level: int | None, lang: str) -> str:
    """One resolution step of a parameter in words, e.g. 住院起付线 300 元（二级医院）, 低保对象按 0.5 倍调整为 150."""
    p = PARAMETERS[name]
    label = p.zh if lang != "en" else p.en
    cats = st.rule.who.categories
    who = "、".join(CATEGORIES[c][0] for c in cats) if lang != "en" else ", ".join(cats)
    if st.action == "set":
        where = (f"（{level}级医院）" if lang != "en" else f" (level {level} hospital)") if isinstance(st.rule.value, dict) and level else ""
        if cats:
            where += f"（{who}）" if lang != "en" else f" ({who})"
        shown = value if value is not None else msg("params.no_cap", lang)  # only a cap may be set to null (validated)
        return msg("trace.param.set", lang, label=label, value=shown, where=where)
    if st.action == "scale":
        return msg("trace.param.scale", lang, who=who, factor=rate_str(st.rule.value), value=value)
    if st.action == "add":
        return msg("trace.param.add", lang, who=who, amount=rate_str(st.rule.value), value=value)
    if st.action == "remove_cap":
        return msg("trace.param.remove_cap", lang, who=who)
    return msg("trace.param.reference", lang, detail=st.detail)
