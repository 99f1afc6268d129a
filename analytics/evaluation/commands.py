"""``cxqa evaluate``: how often the scores agree with careful human labels, with 95% intervals."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def _estimate(estimate) -> str:  # noqa: ANN001 - Estimate, imported lazily
    return f"{estimate.value:.3f} [{estimate.low:.3f}-{estimate.high:.3f}] (n={estimate.n})"


def evaluate_command(
    conversations: Path = typer.Argument(..., help="Labelled conversations (the import format plus 'labels')."),
    posts: Path = typer.Option(None, "--posts", help="Labelled public posts: complaint, against VADER."),
    replies: Path = typer.Option(None, "--replies", help="Labelled support replies: politeness."),
    worst: int = typer.Option(5, "--worst", min=0, help="How many of the worst misses to show per dimension."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Agreement of the scorer with labelled conversations (and, optionally, posts and support replies)."""
    from rich.console import Console
    from rich.markup import escape

    from analytics.cli_support import fail
    from analytics.evaluation.labelled import LabelError, read_conversations, read_texts
    from analytics.evaluation.run import evaluate_conversations, evaluate_posts, evaluate_replies
    from analytics.redaction import display_text

    for path in (conversations, posts, replies):
        if path is not None and not path.is_file():
            raise fail(f"{path}: no such file", code=2)
    try:
        items = read_conversations(conversations)
        post_items = read_texts(posts, "complaint") if posts else None
        reply_items = read_texts(replies, "politeness") if replies else None
    except LabelError as exc:
        raise fail(str(exc), code=2) from None
    figures = evaluate_conversations(items, worst)
    post_figures = evaluate_posts(post_items) if post_items else None
    reply_figures = evaluate_replies(reply_items) if reply_items else None
    if as_json:
        print(json.dumps(to_json(figures, post_figures, reply_figures), indent=2, ensure_ascii=True))
        return
    out = Console(highlight=False, soft_wrap=True)
    out.print(f"[bold]{len(items)} labelled conversations[/bold] ({escape(str(conversations))})")
    for flag, values in figures.flags.items():
        out.print(f"  {flag:12s} accuracy {_estimate(values['accuracy'])}  macro-F1 "
                  f"{_estimate(values['macro_f1'])}  kappa {_estimate(values['kappa'])}")
    for graded, estimate in figures.rho.items():
        out.print(f"  {graded:12s} Spearman rho against low/medium/high {_estimate(estimate)}")
    for focus, estimate in figures.pairs.items():
        out.print(f"  {focus:12s} pairs ordered right {_estimate(estimate)}")
    out.print(f"  complaint peak turn found {_estimate(figures.peak_turn)}")
    if figures.labeler_kappa:
        out.print("  between the two labellers (Cohen's kappa): " + ", ".join(
            f"{label} {_estimate(estimate)}" for label, estimate in figures.labeler_kappa.items()))
    met = figures.goals_met()
    out.print(f"  goals met: {sum(met.values())}/{len(met)}"
              + ("" if all(met.values()) else "; not met: " + ", ".join(k for k, v in met.items() if not v)))
    for what, misses in figures.misses.items():
        for miss in misses:
            spans = "; ".join(f"turn {e['turn']} {e['label']} \"{display_text(e['text'] or '', 60)}\""
                              for e in miss.evidence)
            out.print(f"  [dim]miss[/dim] {escape(what)} {escape(display_text(miss.conversation_id, 40))}: "
                      f"label {escape(str(miss.gold))}, scorer {escape(str(miss.predicted))}"
                      + (f" — {escape(spans)}" if spans else ""))
    if post_figures:
        out.print(f"[bold]{len(post_items)} labelled posts[/bold]: complaint")
        for name, values in post_figures.items():
            out.print(f"  {name:6s} macro-F1 {_estimate(values.macro_f1)}  accuracy {_estimate(values.accuracy)}"
                      f"  AUC {_estimate(values.auc)}")
    if reply_figures:
        out.print(f"[bold]{len(reply_items)} labelled support replies[/bold]: politeness")
        for name, estimate in reply_figures.items():
            out.print(f"  {name} {_estimate(estimate)}")


def to_json(figures, post_figures, reply_figures) -> dict:  # noqa: ANN001
    result = {
        "flags": {flag: {k: v.as_dict() for k, v in values.items()} for flag, values in figures.flags.items()},
        "rho": {k: v.as_dict() for k, v in figures.rho.items()},
        "pairs": {k: v.as_dict() for k, v in figures.pairs.items()},
        "peak_turn": figures.peak_turn.as_dict(),
        "labeler_kappa": {k: v.as_dict() for k, v in figures.labeler_kappa.items()},
        "goals_met": figures.goals_met(),
        "worst": {what: [{"id": m.conversation_id, "gold": m.gold, "predicted": m.predicted, "evidence": m.evidence}
                         for m in misses] for what, misses in figures.misses.items()},
    }
    if post_figures:
        result["posts"] = {name: {"macro_f1": v.macro_f1.as_dict(), "accuracy": v.accuracy.as_dict(),
                                  "auc": v.auc.as_dict()} for name, v in post_figures.items()}
    if reply_figures:
        result["replies"] = {name: v.as_dict() for name, v in reply_figures.items()}
    return result


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_command)
