"""The card of a personalised model: the JSON record and its Markdown page.

Apart from ``training.personalize`` so that the app's model list can render a
card without the fine-tune's code; stdlib only.
"""

from __future__ import annotations

from typing import Any

#: Where the method and its defaults were measured (recorded in every personalised card).
MEASURED_IN = "docs/experiments/2026-12-03-person-calibration.md"
HOLDOUT_MIN_PHOTOS = 12  # fewer photos than this: all of them train, and there is no before/after figure


def write_personal_card(model_path, card: dict[str, Any]) -> None:
    from training.contract import atomic
    from training.contract.model_card import card_paths

    json_path, md_path = card_paths(model_path)
    atomic.write_json(json_path, card)
    atomic.write_text(md_path, personal_card_markdown(card))


def personal_card_markdown(card: dict[str, Any]) -> str:
    from training.card import inline

    photos, held = card.get("photos", {}), card.get("held_out")
    settings = card.get("settings", {})
    lines = [
        f"# Model card: {card.get('name')} (personalised)",
        "",
        f"- Base model: {card['base']['path']} (SHA-256 {card['base']['sha256']})",
        f"- Photos per emotion: {inline(photos.get('per_emotion'))}; "
        f"trained on {inline(photos.get('trained_on'))}",
        f"- Photos without a face: {len(photos.get('no_face', []))}; "
        f"unreadable: {len(photos.get('unreadable', []))}",
        f"- Settings: {', '.join(f'{k} {v}' for k, v in settings.items())}",
        *_calibration_lines(card.get("calibration")),
        f"- Steps: {card['training']['steps_run']}, {card['training']['wall_time_s']} s",
    ]
    if held:
        lines.append(
            f"- Held-out photos of the set ({held['n']}: {inline(held['per_emotion'])}): accuracy "
            f"{held['accuracy_before']:.1%} before, {held['accuracy_after']:.1%} after"
        )
    else:
        lines.append(
            f"- Held-out photos: none (needs {HOLDOUT_MIN_PHOTOS} photos or more, "
            "4 of an emotion to spare one)"
        )
    scores = check_scores(card.get("check"))
    if scores:
        lines.append(f"- Check photos, never trained on (right before → after): {', '.join(scores)}")
    return "\n".join(lines) + "\n"


def check_scores(check: dict[str, Any] | None) -> list[str]:
    """A card's ``check`` record, one ``happy 2/5 → 5/5`` (base model → new model) per emotion."""
    per_emotion = (check or {}).get("per_emotion") or {}
    return [f"{name} {s['before']}/{s['n']} → {s['after']}/{s['n']}" for name, s in per_emotion.items()]


def _calibration_lines(calibration: dict[str, Any] | None) -> list[str]:
    """The card's method line (cards written before methods were recorded have none)."""
    if not calibration:
        return []
    from training.card import inline

    fit = calibration.get("on_its_photos", {})
    return [
        f"- Method: {calibration['method']} ({inline(calibration.get('strength'))}); on its own "
        f"{fit.get('n')} photos {fit.get('accuracy_before', 0):.1%} before, "
        f"{fit.get('accuracy_after', 0):.1%} after"
    ]
