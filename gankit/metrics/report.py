"""How metric records are shown: a few words per result, an aligned table, one line per record."""

import json
from collections.abc import Iterator


def format_result(rec: dict) -> str:
    """The results of a record in a few words, e.g. '12.345 (reference 1.234, ratio 10.0x)'."""
    metric = rec["metric"]
    if metric == "fid":
        ref = f" (reference {rec['reference']:.3f}, ratio {rec['ratio']:.2f}x)" if "reference" in rec else ""
        return f"{rec['value']:.3f}{ref}"
    if metric in ("eqt", "eqt_frac", "eqr"):
        return f"{rec['value']:.2f} dB"
    if metric in ("kid", "is", "ppl"):
        return f"{rec['value']:.5g} +- {rec['std']:.2g}" if "std" in rec else f"{rec['value']:.5g}"
    if metric == "pr":
        return f"precision {rec['precision']:.3f}, recall {rec['recall']:.3f}"
    if metric == "dc":
        return f"density {rec['density']:.3f}, coverage {rec['coverage']:.3f}"
    if metric == "digits_classes":
        asked = rec.get("requested_class_share")
        return (
            f"{rec['confident_share']:.1%} confident (p >= {rec['confidence_threshold']}), min class share "
            f"{rec['min_class_share']:.1%}"
            + (f", classified as the requested class: {asked:.1%}" if asked is not None else "")
        )
    return json.dumps({k: rec[k] for k in rec.get("result_keys", [])})


def format_table(records: list[dict]) -> Iterator[str]:
    """Aligned rows: record name, result, settings, generated and real counts, feature network."""
    rows = [("record", "result", "settings", "fake", "real", "features")]
    for rec in records:
        settings = ", ".join(f"{k}={v}" for k, v in rec.get("settings", {}).items())
        rows.append(
            (
                rec["name"],
                format_result(rec),
                settings,
                str(rec["num_gen"]),
                str(rec["num_real"] or "-"),
                rec["feature_net"],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        yield "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()


def format_record(rec: dict) -> str:
    """One printable line for a metric record (the training log and stacked-digit modes use it)."""
    if rec["metric"] == "modes":
        return f"{rec['name']}: {rec['modes']} of 1000 modes, KL to uniform {rec['kl']:.3f} ({rec['num_gen']} samples)"
    return f"{rec['name']}: {format_result(rec)}  [{rec['feature_net']}, {rec['num_gen']} vs {rec['num_real']}]"
